# SegStation container: Debian 12 + Swift 6.3 build stage, slim Debian 12 runtime stage.
# docker build -t segstation:0.1.0 .      (see docs/SCALE.md; not built in this repository's CI:
# the development machines and CI have no Docker engine)

# ---- build ----
FROM swift:6.3-bookworm AS build
WORKDIR /src
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libdcmtk-dev libnifti2-dev libdnnl-dev libopenjp2-7-dev libsqlite3-dev libcairo2-dev libpng-dev zlib1g-dev pkg-config \
      libarchive-dev libpq-dev libssl-dev \
    && rm -rf /var/lib/apt/lists/*
COPY Package.swift ./
COPY Sources ./Sources
COPY Benchmarks ./Benchmarks
COPY Tests ./Tests
RUN swift build -c release --product segstation --static-swift-stdlib \
    && install -D .build/release/segstation /out/usr/local/bin/segstation
COPY Models /out/usr/local/share/segstation/models

# ---- runtime: only the shared libraries segstation loads ----
# (EndToEndTests' ContainerFileTests check this list against the built binary's NEEDED libraries.)
FROM debian:12-slim
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libdcmtk17 libnifti2-2 libdnnl2 libopenjp2-7 libsqlite3-0 libcairo2 libpng16-16 zlib1g fonts-dejavu-core \
      libarchive13 libpq5 libssl3 \
      libcurl4 libxml2 tzdata ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 10001 --create-home segstation
COPY --from=build /out/ /
USER segstation
ENV SEGSTATION_MODELS=/usr/local/share/segstation/models
ENTRYPOINT ["segstation"]
CMD ["--help"]
