# Build: docker build -t scimgw .
# Run:   docker run -p 8080:8080 scimgw            (demo config, emulated backends)
#        docker run -p 8080:8080 -v $PWD/my.yaml:/etc/scimgw/config.yaml scimgw
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/scimgw ./cmd/scimgw

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/scimgw /usr/local/bin/scimgw
COPY config.yaml /etc/scimgw/config.yaml
ENV SCIMGW_LISTEN=0.0.0.0:8080 \
    SCIMGW_ADMIN_LISTEN=0.0.0.0:9090 \
    SCIMGW_PUBLIC_URL=http://localhost:8080
USER nonroot:nonroot
EXPOSE 8080 9090
ENTRYPOINT ["/usr/local/bin/scimgw"]
CMD ["serve", "--config", "/etc/scimgw/config.yaml"]
