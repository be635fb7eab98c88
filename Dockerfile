# claimflow: one image, one process per container: `claimflow api|worker|consumer|inbox`
# (the Helm chart in deploy/helm/claimflow passes the process as the container's argument).
# Dependencies come from requirements.lock (make lock), claimflow itself without deps, so
# the image has exactly the versions the tests ran against.
FROM python:3.11.7-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/claimflow
ENV PATH=/opt/claimflow/bin:$PATH
WORKDIR /src
COPY requirements.lock ./
RUN pip install --requirement requirements.lock
COPY pyproject.toml README.md ./
COPY claims ./claims
COPY events ./events
COPY activities ./activities
COPY workflows ./workflows
COPY services ./services
# Then the ICD-10-CM index, cached beside the packages (services/code_index.py): the
# image's venv is read-only at run time, and each process would parse the tabular otherwise.
RUN pip install --no-deps . \
 && python -c "from services.code_index import build; build()"

FROM python:3.11.7-slim-bookworm
LABEL org.opencontainers.image.title="claimflow" \
      org.opencontainers.image.description="Medical claim lifecycle engine: Temporal workflows, Kafka events" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 claimflow \
 && useradd --system --uid 10001 --gid claimflow --home-dir /var/lib/claimflow claimflow \
 && mkdir -p /var/lib/claimflow && chown claimflow:claimflow /var/lib/claimflow
COPY --from=build /opt/claimflow /opt/claimflow
ENV PATH=/opt/claimflow/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    CLAIMFLOW_STATE_DIR=/var/lib/claimflow \
    CLAIMFLOW_API_HOST=0.0.0.0 \
    CLAIMFLOW_METRICS_HOST=0.0.0.0 \
    CLAIMFLOW_LOG_FORMAT=json
WORKDIR /var/lib/claimflow
USER 10001:10001
# API (8000); /metrics and /health of worker, consumer, inbox (9464); Temporal SDK metrics (9465)
EXPOSE 8000 9464 9465
ENTRYPOINT ["claimflow"]
CMD ["api"]
