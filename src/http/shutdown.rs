//! Graceful shutdown: on SIGTERM (or SIGINT) stop accepting connections, let every request
//! already sent finish, then stop.
//!
//! actix-web's own graceful stop stops reading from open connections at once: a request a
//! keep-alive client has already written, but the server has not yet read, is dropped with
//! its connection, and the client sees a failure it cannot tell from a crash. So Gatehouse
//! drains first, with the server still reading: the listening socket is shut (new
//! connections are refused, which clients and load balancers retry elsewhere), every
//! response from then on carries `Connection: close`, and each open connection closes after
//! its next response. Once none is left (or the deadline passes) the server is stopped.

use std::any::Any;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Extensions, ServerHandle, ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::web;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Whether the server is draining, and how many connections are still open.
#[derive(Debug, Default)]
pub struct Drain {
    draining: AtomicBool,
    open_connections: AtomicUsize,
    /// Woken whenever a connection closes.
    closed: Notify,
}

/// Lives in a connection's extensions, so it is dropped exactly when the connection is.
struct OpenConnection(Arc<Drain>);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.open_connections.fetch_sub(1, Ordering::SeqCst);
        self.0.closed.notify_waiters();
    }
}

impl Drain {
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    pub fn open_connections(&self) -> usize {
        self.open_connections.load(Ordering::SeqCst)
    }

    /// For `HttpServer::on_connect`: counts the connection until it closes.
    pub fn track(self: &Arc<Self>, _connection: &dyn Any, extensions: &mut Extensions) {
        self.open_connections.fetch_add(1, Ordering::SeqCst);
        extensions.insert(OpenConnection(self.clone()));
    }

    /// Waits until every connection has closed or `deadline` passes; true if all closed.
    async fn connections_closed(&self, deadline: Instant) -> bool {
        loop {
            let closed = self.closed.notified();
            if self.open_connections() == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, closed).await.is_err() {
                return self.open_connections() == 0;
            }
        }
    }
}

/// Middleware: while draining, every response tells the client to close the connection, so
/// it sends its next request elsewhere instead of onto a connection about to close.
pub async fn close_when_draining(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let drain = request.app_data::<web::Data<Drain>>().cloned();
    let mut response = next.call(request).await?;
    if drain.is_some_and(|d| d.is_draining()) {
        response
            .response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    Ok(response)
}

/// Resolves on the first SIGTERM or SIGINT.
pub async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = terminate.recv() => tracing::info!("SIGTERM received"),
                    _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received"),
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; only SIGINT stops the server");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Drains and stops the server: returns once it has been told to stop, gracefully when
/// every connection closed in time. A second signal cuts the wait short.
pub async fn drain_and_stop(
    server: &ServerHandle,
    listener: &TcpListener,
    drain: &Drain,
    timeout: Duration,
) {
    let deadline = Instant::now() + timeout;
    tracing::info!(
        timeout_seconds = timeout.as_secs(),
        open_connections = drain.open_connections(),
        "shutting down: refusing new connections, finishing requests in flight"
    );
    // Paused first so actix's accept loop no longer polls the socket we are about to shut.
    server.pause().await;
    refuse_new_connections(listener);
    drain.draining.store(true, Ordering::SeqCst);
    let drained = tokio::select! {
        drained = drain.connections_closed(deadline) => drained,
        () = stop_requested() => {
            tracing::warn!("second stop signal: closing connections now");
            false
        }
    };
    if drained {
        tracing::info!("every connection closed; stopping");
    } else {
        tracing::warn!(
            open_connections = drain.open_connections(),
            "shutdown deadline passed; closing the remaining connections"
        );
    }
    // Not awaited here: the caller awaits the server itself.
    drop(server.stop(drained));
}

/// Shuts the listening socket, so new connection attempts are refused at once instead of
/// waiting in the kernel's accept queue for a server that will never accept them.
fn refuse_new_connections(listener: &TcpListener) {
    if let Err(error) = socket2::SockRef::from(listener).shutdown(std::net::Shutdown::Both) {
        // Not every platform can shut a listening socket; actix's stop closes it later.
        tracing::debug!(%error, "could not shut the listening socket");
    }
}
