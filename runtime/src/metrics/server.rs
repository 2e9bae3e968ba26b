//! The HTTP side of `--metrics`: `GET /metrics` answers with the maps in
//! the Prometheus text format; anything else gets a short pointer to it.

use prometheus_client::registry::Registry;
use std::io;
use std::net::SocketAddr;
use tiny_http::{Header, Method, Response, Server};

pub use prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

pub fn start(addr: SocketAddr, registry: Registry) -> io::Result<SocketAddr> {
    let server = Server::http(addr).map_err(io::Error::other)?;
    let bound = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| io::Error::other("the metrics server is not on an IP address"))?;
    std::thread::Builder::new()
        .name("rtrace-metrics".into())
        .spawn(move || {
            for request in server.incoming_requests() {
                // A client that hung up is its own problem, not the session's.
                let response = answer(request.method(), request.url(), &registry);
                let _ = request.respond(response);
            }
        })?;
    Ok(bound)
}

fn answer(method: &Method, url: &str, registry: &Registry) -> Response<io::Cursor<Vec<u8>>> {
    let path = url.split('?').next().unwrap_or(url);
    match (method, path) {
        (Method::Get | Method::Head, "/metrics") => {
            with_type(Response::from_string(super::render(registry)), CONTENT_TYPE)
        }
        (Method::Get | Method::Head, "/") => with_type(
            Response::from_string("rtrace: the maps are at /metrics\n"),
            "text/plain; charset=utf-8",
        ),
        (Method::Get | Method::Head, _) => {
            Response::from_string("not found: the maps are at /metrics\n").with_status_code(404)
        }
        _ => Response::from_string("only GET and HEAD\n").with_status_code(405),
    }
}

fn with_type(
    response: Response<io::Cursor<Vec<u8>>>,
    content_type: &str,
) -> Response<io::Cursor<Vec<u8>>> {
    match Header::from_bytes("Content-Type", content_type) {
        Ok(header) => response.with_header(header),
        Err(()) => response,
    }
}
