# Mayday server image: `docker build -t mayday . && docker run -p 8000:8000 -v mayday:/data mayday`
# The livestream's media is UDP on ephemeral ports: run with `--network host` to use it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 MAYDAY_DATA=/data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY mayday ./mayday
COPY relay ./relay
COPY assembly ./assembly
COPY circles ./circles
COPY static ./static
COPY examples ./examples
RUN pip install --no-cache-dir . && useradd --system --home /data mayday && mkdir -p /data && chown mayday /data
USER mayday
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/health')"
# Behind a TLS-terminating proxy add --proxy-headers so links carry the public scheme and host.
CMD ["mayday", "serve", "--host", "0.0.0.0", "--port", "8000"]
