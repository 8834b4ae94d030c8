# syntax=docker/dockerfile:1
# roomd container image (docs/DEPLOY.md, "Container image").
#
#   docker build -t roomd .
#   docker run -d -p 8080:8080 -v roomd-data:/var/lib/roomd roomd
#   docker logs <container>      # the first start prints the admin token once
#
# Build stage: the release binary, built with the versions pinned in Cargo.lock. The
# cache mounts keep the crate downloads and the target directory between builds
# (BuildKit, the default builder since Docker 23).
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin roomd \
 && objcopy --strip-debug target/release/roomd /usr/local/bin/roomd

# Runtime stage: Debian slim, curl for the health check, a non-root user, the data
# in a volume. The bundled SQLite and libpq are linked in; glibc comes from the base.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/roomd --shell /usr/sbin/nologin roomd \
 && install -d -o roomd -g roomd -m 0700 /var/lib/roomd
COPY --from=build /usr/local/bin/roomd /usr/local/bin/roomd
# The shipped rooms file and welcome template, named by absolute paths so they are
# found whatever the working directory. Mount your own over /etc/roomd.
COPY config/rooms.toml /etc/roomd/rooms.toml
COPY config/templates /etc/roomd/templates
ENV ROOMD__SERVER__BIND=0.0.0.0:8080 \
    ROOMD__DATABASE__URL=sqlite:///var/lib/roomd/roomd.db \
    ROOMD__ROOMS__FILE=/etc/roomd/rooms.toml \
    ROOMD__WELCOME__TEMPLATE_FILE=/etc/roomd/templates/welcome/default.txt
USER roomd
WORKDIR /var/lib/roomd
VOLUME ["/var/lib/roomd"]
EXPOSE 8080
# /readyz: 200 once the store answers and the rooms' supervisor is up (and, in
# cluster mode, NATS has been reached once); 503 otherwise. If you change
# ROOMD__SERVER__BIND's port, override the check (docker run --health-cmd …).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/readyz"]
# roomd stops on SIGTERM: closes sessions with 1001, flushes the store, exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/roomd"]
CMD ["serve"]
