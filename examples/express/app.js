// An Express app that receives S3 notifications, SQS messages (one request each) and HTTP requests.
// Run it behind ceh:  node examples/express/app.js 8080  and  ceh invoke --app http://127.0.0.1:8080 EVENT
const express = require("express");

const app = express();
app.use(express.json());

app.post("/aws.s3", (req, res) => {
  const keys = (req.body.Records || []).map((record) => record.s3.object.key);
  res.json({ handled: "s3", keys });
});

// ceh sends one request per message; a failure status retries this message alone.
app.post("/aws.sqs", (req, res) => {
  const id = req.get("ceh-record-id");
  if (req.body.body === "fail") {
    res.status(500).json({ error: "cannot process", id });
  } else {
    res.json({ handled: "sqs", id });
  }
});

app.get("/hello", (req, res) => res.type("text/plain").send("hello from express"));

// CEH_READINESS_PATH: ceh waits for this answer before it takes the first event.
app.get("/health", (req, res) => res.type("text/plain").send("ok"));

const port = Number(process.argv[2] || 8080);
const server = app.listen(port, "127.0.0.1", () => {
  console.log(`listening on 127.0.0.1:${server.address().port}`);
});
