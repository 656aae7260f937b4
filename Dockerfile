# exitscan's container image: the release binary on a small Debian base, run as a
# non-root user, serving /metrics on 13137 when asked to (--listen 0.0.0.0:13137,
# see deploy/). Both base images are build arguments, so the image also builds where
# no registry can be reached: tests/e2e/dockerfile.sh builds it from local stand-ins
# made with `docker import` (the builder must then have the crates in its
# $CARGO_HOME and CARGO_NET_OFFLINE=true). Works with BuildKit and the classic builder.
ARG BUILDER_IMAGE=rust:1-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${BUILDER_IMAGE} AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY config ./config
COPY benches ./benches
COPY src ./src
RUN cargo fetch --locked \
 && cargo build --release --locked --offline --bin exitscan \
 && install -D -m 0755 target/release/exitscan /out/exitscan

FROM ${RUNTIME_IMAGE}
RUN useradd --system --uid 10001 --user-group --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin exitscan
COPY --from=build /out/exitscan /usr/local/bin/exitscan
USER 10001:10001
EXPOSE 13137
ENTRYPOINT ["exitscan"]
CMD ["--help"]
