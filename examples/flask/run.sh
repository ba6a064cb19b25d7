#!/bin/sh
# The function's exec wrapper (AWS_LAMBDA_EXEC_WRAPPER=/var/task/run.sh) on Lambda's Python
# runtime. Lambda hands it the runtime's own start command as arguments; instead of running it,
# ceh becomes the runtime: it starts the Flask app beside it and serves the invocations.
exec "$LAMBDA_TASK_ROOT/ceh" lambda -- python3 "$LAMBDA_TASK_ROOT/app.py" 8080
