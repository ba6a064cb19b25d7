// The app both adapters serve in benches/e2e_duel.py, and the direct baseline: every method and
// path gets 200 and a small JSON body, after the request body is read. Node's http module only.
//
//   node benches/app.js PORT     # 0: any free port; prints `listening on 127.0.0.1:PORT` first
"use strict";
const http = require("http");

const port = Number(process.argv[2] || 0);
const body = Buffer.from(JSON.stringify({ ok: true }));

const server = http.createServer((request, response) => {
  let received = 0;
  request.on("data", (chunk) => { received += chunk.length; });
  request.on("end", () => {
    response.writeHead(200, {
      "content-type": "application/json",
      "content-length": body.length,
      "x-received-bytes": received,
    });
    response.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, "127.0.0.1", () => {
  console.log(`listening on 127.0.0.1:${server.address().port}`);
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
