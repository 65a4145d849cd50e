# syntax=docker/dockerfile:1
#
# Gatehouse container image.
#   docker build -t gatehouse .
#   docker run --rm -p 8080:8080 -v gatehouse-data:/data gatehouse
# With no further settings it serves from an embedded SQLite database in /data (the
# generated key-encryption key gatehouse.kek lands there too). For Postgres set
# GATEHOUSE_DATABASE_URL, GATEHOUSE_KEY_ENCRYPTION_KEY and GATEHOUSE_PEPPER; see
# docker-compose.yml and README.md.

# ---- build ------------------------------------------------------------------------------
FROM rust:1.95-bookworm AS builder
WORKDIR /build

# Dependencies first, against placeholder sources, so that this slow layer is reused until
# Cargo.toml or Cargo.lock change.
COPY Cargo.toml Cargo.lock ./
# Cargo.toml declares the Argon2 and RS256 benchmarks, so their files must exist for the manifest to load.
RUN mkdir src benches \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && echo 'fn main() {}' > benches/argon2.rs \
    && echo 'fn main() {}' > benches/rs256.rs \
    && cargo build --release --locked \
    && rm -rf src benches

# The real sources. The migrations are embedded into the binary at compile time (refinery's
# embed_migrations!), so they must be here before the build. `touch` makes the copied files
# newer than the placeholder build, so cargo rebuilds the gatehouse crate itself.
COPY migrations ./migrations
COPY benches ./benches
COPY src ./src
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked \
    && install -m 0755 target/release/gatehouse /usr/local/bin/gatehouse

# ---- run --------------------------------------------------------------------------------
FROM debian:bookworm-slim

# curl only serves the HEALTHCHECK below.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 gatehouse \
    && useradd --system --uid 10001 --gid gatehouse --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin gatehouse \
    && mkdir /data \
    && chown gatehouse:gatehouse /data \
    && chmod 0700 /data

COPY --from=builder /usr/local/bin/gatehouse /usr/local/bin/gatehouse

USER 10001:10001
WORKDIR /data

ENV GATEHOUSE_BIND=0.0.0.0:8080 \
    GATEHOUSE_DATABASE_URL=sqlite:///data/gatehouse.db

EXPOSE 8080

HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/health/ready || exit 1

ENTRYPOINT ["gatehouse"]
CMD ["serve"]
