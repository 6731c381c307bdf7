# One image runs every service: `marketplace run SERVICE --role ROLE` picks which.
#   docker build -t marketplace .
#   docker run --rm marketplace marketplace --help
# Installs exactly requirements/runtime.lock (hash-checked; no test or lint tools), then the
# project itself with no dependency resolution; the build backend (requirements/build.lock)
# is removed again before the venv is copied into the final image.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY requirements/runtime.lock requirements/build.lock ./requirements/
RUN pip install --require-hashes -r requirements/runtime.lock -r requirements/build.lock
COPY pyproject.toml ./
COPY shared ./shared
COPY services ./services
COPY ops ./ops
RUN pip install --no-deps --no-build-isolation . \
 && pip uninstall -y setuptools \
 && python -m compileall -q /opt/venv

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MARKET_HOST=0.0.0.0
# /var/lib/marketplace/media: media's storage directory (MEDIA_STORAGE_DIR in compose), and
# /var/lib/marketplace/search: the catalogue API's search index (MARKET_SEARCH_INDEX_DIR), owned
# by the service user so a fresh volume mounted there is writable.
RUN groupadd --system --gid 10001 market \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin market \
 && install -d -o 10001 -g 10001 /var/lib/marketplace/media /var/lib/marketplace/search
COPY --from=build /opt/venv /opt/venv
COPY scripts/healthcheck.py /app/scripts/healthcheck.py
WORKDIR /app
USER 10001:10001
# gateway, catalogue, makers, orders, media (GATEWAY_PORT, CATALOGUE_PORT, MAKERS_PORT,
# ORDERS_PORT, MEDIA_PORT)
EXPOSE 8080 8081 8082 8083 8084
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "/app/scripts/healthcheck.py", "live"]
CMD ["marketplace", "run", "gateway", "--role", "all"]
