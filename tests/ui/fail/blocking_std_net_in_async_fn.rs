use oxapi::prelude::*;
use std::net::{TcpListener, TcpStream, ToSocketAddrs, UdpSocket};

#[get("/probe")]
async fn probe() -> Result<String, ApiError> {
    let internal = |error: std::io::Error| ApiError::internal(error.to_string());
    let stream = TcpStream::connect("127.0.0.1:9").map_err(internal)?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(internal)?;
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let _unused: Option<TcpListener> = None;
    let addrs = "localhost:80".to_socket_addrs().map_err(internal)?.count();
    Ok(format!("{stream:?} {listener:?} {socket:?} {addrs}"))
}

fn main() {}
