//! A TCP proxy to the test's PostgreSQL server that a test can cut and restore, to make the
//! database unreachable under a running process and bring it back.

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use sqlx::postgres::PgConnectOptions;
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinHandle;

/// `cut` closes every connection and stops listening (clients get "connection refused", as
/// from a stopped server); `restore` listens again on the same port.
pub struct TcpProxy {
    pub addr: SocketAddr,
    upstream: SocketAddr,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl TcpProxy {
    /// A proxy to the server of `db_url`, and the same URL pointed through it (tests run
    /// against a trust-auth server: user and database suffice).
    pub async fn to(db_url: &str) -> (TcpProxy, String) {
        let options = PgConnectOptions::from_str(db_url).expect("a PostgreSQL URL");
        let upstream = tokio::net::lookup_host((options.get_host(), options.get_port()))
            .await
            .expect("the database host resolves")
            .next()
            .expect("an address");
        let mut proxy = TcpProxy {
            addr: "127.0.0.1:0".parse().expect("an address"),
            upstream,
            tasks: Arc::default(),
        };
        proxy.listen();
        let url = format!(
            "postgres://{}@{}/{}",
            options.get_username(),
            proxy.addr,
            options.get_database().unwrap_or("postgres")
        );
        (proxy, url)
    }

    fn listen(&mut self) {
        let socket = TcpSocket::new_v4().expect("a socket");
        socket.set_reuseaddr(true).expect("SO_REUSEADDR");
        socket.bind(self.addr).expect("the proxy's port");
        let listener = socket.listen(64).expect("listen");
        self.addr = listener.local_addr().expect("the proxy's address");
        let upstream = self.upstream;
        let tasks = Arc::clone(&self.tasks);
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let pipe = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                tasks.lock().expect("proxy tasks").push(pipe);
            }
        });
        self.tasks.lock().expect("proxy tasks").push(accept);
    }

    /// The database goes away: every connection closes and new ones are refused.
    pub fn cut(&self) {
        for task in self.tasks.lock().expect("proxy tasks").drain(..) {
            task.abort();
        }
    }

    /// The database is back.
    pub fn restore(&mut self) {
        self.listen();
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.cut();
    }
}
