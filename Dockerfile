# The voclens image used by compose.yaml: the runtime install (`pip install .`, ONNX Runtime, no torch).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY api ./api
COPY crawlers ./crawlers
COPY index ./index
COPY nlp ./nlp
RUN pip install --no-cache-dir . && useradd --create-home voclens && mkdir -p /data /cache && chown voclens /data /cache
USER voclens
ENV VOCLENS_DATA_DIR=/data VOCLENS_MODEL_CACHE_DIR=/cache
EXPOSE 8000
CMD ["voclens", "serve", "--host", "0.0.0.0", "--port", "8000"]
