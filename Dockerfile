# The gateway image: slim, non-root, the NLU model (package data) and the Alembic migrations inside.
#   docker build -t sarraf:local .          (compose.yaml builds it the same way)
# One image for every role: `sarraf serve` (default), `sarraf alerts worker`, `python -m sarraf.sandbox_bank`.

FROM python:3.11-slim AS build
WORKDIR /build
# dependencies first, pinned by the lock file: a source change does not reinstall them
COPY requirements.lock ./
RUN python -m venv /opt/sarraf \
    && /opt/sarraf/bin/pip install --no-cache-dir --disable-pip-version-check -r requirements.lock
COPY pyproject.toml README.md ./
COPY src ./src
RUN /opt/sarraf/bin/pip install --no-cache-dir --disable-pip-version-check --no-deps . \
    && /opt/sarraf/bin/python -c "import sarraf.conversation.nlu, sarraf.store.migrations, pathlib, sarraf; \
p = pathlib.Path(sarraf.__file__).parent; \
assert (p / 'conversation/nlu/model.npz').is_file() and (p / 'store/migrations/env.py').is_file()"

FROM python:3.11-slim
RUN groupadd --system --gid 10001 sarraf \
    && useradd --system --uid 10001 --gid sarraf --home-dir /var/lib/sarraf --create-home --shell /usr/sbin/nologin sarraf \
    && chmod 0700 /var/lib/sarraf
COPY --from=build /opt/sarraf /opt/sarraf
ENV PATH=/opt/sarraf/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SARRAF_HOME=/var/lib/sarraf \
    SARRAF_HOST=0.0.0.0 \
    SARRAF_PORT=8000
USER sarraf:sarraf
WORKDIR /var/lib/sarraf
EXPOSE 8000
# liveness of the web process (the alert worker, which serves no HTTP, overrides it in compose.yaml)
HEALTHCHECK --interval=10s --timeout=3s --start-period=40s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('SARRAF_PORT', '8000') + '/healthz', timeout=2)"]
CMD ["sarraf", "serve"]
