# Standards Desk: a slim image, a non-root user, configured by environment (SD_*).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SD_ENV=production \
    SD_SERVER_HOST=0.0.0.0 \
    SD_SERVER_PORT=8080

RUN groupadd --system app && useradd --system --gid app --home-dir /app --shell /usr/sbin/nologin app
WORKDIR /app

# The package and its data (config/ holds the defaults and the standards-board rules).
COPY pyproject.toml README.md ./
COPY service ./service
COPY config ./config
RUN pip install --no-compile . && chown -R app:app /app

USER app
EXPOSE 8080
# In production SD_REDIS_URL must point at a managed Redis; the embedded one is for laptops.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"SD_SERVER_PORT\", \"8080\")}/healthz', timeout=2)" || exit 1

CMD ["python", "-m", "service", "serve"]
