# A stand-in for python:3.11-slim-bookworm, built from Debian's own packages where no registry
# answers (deploy/docker/images.py). Debian 12's python3 is 3.11, as in the official image.
# `python`, its C headers and a venv with pip, as the official image gives; the machine's locally added
# certificate authorities (certificates/), so pip reaches the package index as the host does.
FROM debian:bookworm
COPY certificates/ /usr/local/share/ca-certificates/
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates python3 python3-dev python3-venv python-is-python3 \
    && update-ca-certificates \
    && rm -rf /var/lib/apt/lists/*
ENV LANG=C.UTF-8 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt
CMD ["python3"]
