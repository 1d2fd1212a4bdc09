# The feedback server: docker build -t feedback . && docker run -p 8000:8000 -e REDIS_URL=... feedback
# (docker-compose.yml runs it together with a Redis.)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 feedback \
    && useradd --system --uid 10001 --gid feedback --home-dir /app --no-create-home --shell /usr/sbin/nologin feedback \
    && mkdir -p /app /data \
    && chown feedback:feedback /data

WORKDIR /app

# Runtime dependencies only (no [test] extra), at the versions pinned in requirements.lock.
COPY pyproject.toml requirements.lock README.md ./
COPY feedback/ feedback/
COPY server.py ./
RUN pip install --no-cache-dir -c requirements.lock . \
    && rm -rf build feedback.egg-info

# Without FEEDBACK_SECRET, the secret is generated into the volume on first start and reused.
# DL3064 takes FEEDBACK_SECRET_FILE for a secret: it is the path of one, which is no secret.
# hadolint ignore=DL3064
ENV FEEDBACK_DB=/data/feedback.sqlite3 \
    FEEDBACK_SECRET_FILE=/data/secret
VOLUME /data

# The feedback user, by number: Kubernetes' runAsNonRoot can only verify a numeric user (DL3066).
USER 10001:10001
EXPOSE 8000
# Alive while it serves (/healthz checks no dependency: /readyz is for load balancers). The
# slim image has no curl: Python's own client asks.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
# One worker per core: add "--workers", "N".
CMD ["python", "-m", "feedback", "serve", "--host", "0.0.0.0", "--port", "8000"]
