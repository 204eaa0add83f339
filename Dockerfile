# syntax=docker/dockerfile:1
#
# maju in a container: a static binary on distroless (CA roots for Let's Encrypt, a nonroot user, no
# shell, no package manager).
#
# Build (stamp the version; .git is not in the build context, so the script cannot look it up itself):
#   docker build --build-arg VERSION="$(git describe --tags --always --dirty)" -t maju .
#
# Run: use the host's network. The TURN relay hands out one UDP port per relayed device from
# 49152-65535, and publishing 16k ports through Docker's NAT is impractical; behind that NAT maju would
# also see only the container's address. With --network host, -p/EXPOSE do not apply.
#
# Ports 80 and 443 with host networking: the image runs as the unprivileged user nonroot (65532), and on
# the host's network a non-root process cannot bind ports below net.ipv4.ip_unprivileged_port_start
# (1024 by default). Docker >= 20.10 lowers that to 0 only inside a container's own network namespace,
# not with --network host, and `--cap-add NET_BIND_SERVICE` does not reach a non-root process (Docker sets
# no ambient capabilities, and this binary has no file capabilities). What works:
#
#   1. A public server answering HTTPS itself (Let's Encrypt): run as uid 0 with every capability dropped
#      except NET_BIND_SERVICE. Without other capabilities it cannot override file permissions, change
#      owners or load modules, but it does own what root owns in its mounts: give it only the
#      certificate directory, owned by root:
#        install -d -m 0700 /var/lib/maju-docker
#        docker run -d --name maju --restart unless-stopped --network host --stop-timeout 30 \
#          --user 0:0 --cap-drop ALL --cap-add NET_BIND_SERVICE --security-opt no-new-privileges \
#          -v /var/lib/maju-docker:/var/lib/maju \
#          -e MAJU_DOMAIN=call.example.com -e MAJU_TURN_PUBLIC_IP=203.0.113.7 maju
#      (On a VM, deploy/systemd/maju.service does the same with a non-root user and is simpler.)
#   2. Behind a load balancer or proxy that terminates TLS: keep nonroot, serve plain HTTP on a high port
#      (the default :8080, no MAJU_DOMAIN); TURN's ports (3478, 49152-65535) are all above 1024:
#        docker run -d --name maju --restart unless-stopped --network host --stop-timeout 30 \
#          -v maju-certs:/var/lib/maju \
#          -e MAJU_TURN_PUBLIC_IP=203.0.113.7 maju
#   3. Lowering net.ipv4.ip_unprivileged_port_start to 80 on the host also works, but lets every user
#      of the host bind ports 80-1023.
#
# --stop-timeout: maju waits up to -shutdown-timeout (10s) for clients after SIGTERM, Docker's default
# is to kill it after 10s. For several nodes share one TURN secret: mount a file and set
# MAJU_TURN_SECRET_FILE to it. `maju -h` lists every MAJU_* setting.

# The golang images set GOTOOLCHAIN=local, so this tag's Go must be at least go.mod's go line.
FROM golang:1.26-trixie AS build
WORKDIR /src
# Dependencies first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=devel
RUN sh scripts/build-static.sh /out/maju "$VERSION"
# The certificate cache, writable by the nonroot user (owner) and by a uid-0 process without
# CAP_DAC_OVERRIDE (group 0), so a named volume works either way.
RUN mkdir -p /out/state/certs && chown -R 65532:0 /out/state && chmod -R 0770 /out/state

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/maju /usr/local/bin/maju
COPY --from=build --chown=65532:0 /out/state /var/lib/maju
ENV MAJU_CERT_CACHE=/var/lib/maju/certs
VOLUME ["/var/lib/maju"]
USER nonroot:nonroot
# For documentation (they apply only without --network host): 8080 plain HTTP by default; 443 and 80
# with MAJU_DOMAIN; 3478 STUN/TURN. The relay range 49152-65535/udp is left out on purpose: `-P` would
# try to publish all 16k ports.
EXPOSE 8080/tcp 443/tcp 80/tcp 3478/udp 3478/tcp
ENTRYPOINT ["/usr/local/bin/maju"]
