#!/usr/bin/env bash
# Makes this VM the team's MLflow server on port 5000: runs and the model registry
# in SQLite on this disk, copied to the object store every 10 minutes and restored
# from there when a rebuilt VM first boots; artifacts in the object store itself.
# cloud-init runs it once, at first boot.
set -euo pipefail

python3 -m venv /opt/mlflow/venv
/opt/mlflow/venv/bin/pip install --quiet -r /opt/mlflow/requirements.txt
install -d -m 0700 /var/lib/mlflow

cat > /etc/systemd/system/mlflow.service <<'UNIT'
[Unit]
Description=MLflow tracking server and model registry
Wants=network-online.target
After=network-online.target

[Service]
EnvironmentFile=/etc/mlflow/mlflow.env
# The server's job runner is not used; it would start worker processes.
Environment=MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false
# A rebuilt VM starts from the last backup (a first one from an empty database).
ExecStartPre=/opt/mlflow/venv/bin/python /opt/mlflow/mlflow_db.py restore /var/lib/mlflow/mlflow.db
# Any Host header: the floating IP is attached after this VM boots. The security
# group is the gate (see cicd/docs/infra.md).
ExecStart=/opt/mlflow/venv/bin/mlflow server --host 0.0.0.0 --port 5000 \
  --backend-store-uri sqlite:////var/lib/mlflow/mlflow.db \
  --artifacts-destination s3://${TRACKER_BUCKET} --workers 2 --allowed-hosts *
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT

cat > /etc/systemd/system/mlflow-backup.service <<'UNIT'
[Unit]
Description=Copy the MLflow database to the object store

[Service]
Type=oneshot
EnvironmentFile=/etc/mlflow/mlflow.env
ExecStart=/opt/mlflow/venv/bin/python /opt/mlflow/mlflow_db.py backup /var/lib/mlflow/mlflow.db
UNIT

cat > /etc/systemd/system/mlflow-backup.timer <<'UNIT'
[Unit]
Description=Copy the MLflow database to the object store every 10 minutes

[Timer]
OnBootSec=10min
OnUnitActiveSec=10min

[Install]
WantedBy=timers.target
UNIT

systemctl daemon-reload
systemctl enable --now mlflow.service mlflow-backup.timer
