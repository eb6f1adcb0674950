# A Debian 12 host with systemd as PID 1, for tests/containers/test_systemd_boot.py: the
# collector's package installed with apt and run by systemd, as on a server. Built from the
# same Debian base as the other stand-ins (deploy/docker/images.py --systemd), with what the
# package depends on (python3.11, libpq5) already there, so apt installs it with no network,
# PostgreSQL 15 for it to store into, and python3.11-venv for the web side's by-hand venv. Run it with
#   docker run -d --cap-add SYS_ADMIN --cap-add SYS_PTRACE --cgroupns=host
#     -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock IMAGE
# (--privileged is refused on these machines; without SYS_PTRACE the units' PrivateUsers=yes
# fails with 217/USER; without the host's cgroup tree PID 1 exits).
FROM debian:bookworm
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends systemd systemd-sysv dbus python3.11 \
       python3.11-venv libpq5 postgresql-15 procps libnss-systemd \
    && rm -rf /var/lib/apt/lists/* \
    && systemctl mask getty@.service serial-getty@.service console-getty.service \
       systemd-udevd.service systemd-udev-trigger.service systemd-logind.service \
       systemd-remount-fs.service sys-kernel-config.mount sys-kernel-debug.mount \
       sys-kernel-tracing.mount systemd-firstboot.service \
    && systemctl enable postgresql.service
ENV container=docker
# systemd's own way to be told to shut down.
STOPSIGNAL SIGRTMIN+3
CMD ["/sbin/init"]
