# Auralith pipeline on Debian 12: a build stage with the -dev packages, a runtime
# stage with the shared libraries only, running as an unprivileged user.
#   docker build -t auralith-pipeline .
#   docker run --rm -p 8080:8080 -p 9090:9090 -v /etc/auralith:/etc/auralith:ro \
#     auralith-pipeline coordinator -c /etc/auralith/coordinator.yaml --metrics-port 9090
# Checked by tests/integration/test_ops_deploy.sh (no image is built in CI).
FROM debian:12-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake pkg-config \
      libuv1-dev libhiredis-dev libmsgpack-dev libyaml-dev libjansson-dev libutf8proc-dev libssl-dev libpcre2-dev \
      libjpeg62-turbo-dev libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libsndfile1-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DAURALITH_BUILD_TESTS=OFF -DAURALITH_BUILD_BENCH=OFF \
 && cmake --build /build -j"$(nproc)" \
 && bash scripts/gen-man.sh /build/auralith-pipeline /build/man

FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libuv1 libhiredis0.14 libmsgpackc2 libyaml-0-2 libjansson4 \
      libutf8proc2 libssl3 libpcre2-8-0 stunnel4 ca-certificates tini \
      libjpeg62-turbo libavcodec59 libavformat59 libavutil57 libswscale6 libsndfile1 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /srv/auralith --create-home --shell /usr/sbin/nologin auralith
COPY --from=build /build/auralith-pipeline /build/alctl /usr/bin/
# The media codec module, where /usr/bin/auralith-pipeline looks (<bindir>/../lib).
COPY --from=build /build/libauralith_media.so /usr/lib/
COPY --from=build /build/man/ /usr/share/man/man1/
COPY contrib/completion/auralith-pipeline.bash /usr/share/bash-completion/completions/auralith-pipeline
USER auralith
WORKDIR /srv/auralith
# 8080: the protocol; 9090: /metrics and /healthz when --metrics-port 9090 is given.
EXPOSE 8080 9090
HEALTHCHECK --interval=30s --timeout=5s CMD ["/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${AURALITH_METRICS_PORT:-9090} && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q '200 OK' <&3"]
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/bin/auralith-pipeline"]
CMD ["--help"]
