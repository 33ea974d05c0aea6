//! Name resolution for the HTTP client: loopback names answer locally, everything else goes to the system.
//!
//! Some services put a label in front of the endpoint host: S3 Control sends account-level Block Public Access
//! calls to `<account-id>.s3-control.<region>.amazonaws.com`, and does the same through a custom endpoint
//! (`http://127.0.0.1:5000` becomes `<account-id>.127.0.0.1:5000`). The system resolver knows no such name, so
//! against a local endpoint (an emulator, a proxy) the call could never leave the machine. RFC 6761 reserves
//! `localhost` and every name under it for the loopback interface; a name whose last labels form an IP
//! address literal is treated the same way. Every other name is resolved as the system resolves it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, ToSocketAddrs};

use aws_smithy_runtime_api::client::dns::{DnsFuture, ResolveDns, ResolveDnsError};

#[derive(Debug, Clone, Default)]
pub struct LoopbackNames;

impl ResolveDns for LoopbackNames {
    fn resolve_dns<'a>(&'a self, name: &'a str) -> DnsFuture<'a> {
        if let Some(ips) = local_answer(name) {
            return DnsFuture::ready(Ok(ips));
        }
        let name = name.to_string();
        DnsFuture::new(async move {
            match tokio::task::spawn_blocking(move || (name, 0).to_socket_addrs()).await {
                Ok(Ok(addrs)) => Ok(addrs.map(|a| a.ip()).collect()),
                Ok(Err(e)) => Err(ResolveDnsError::new(e)),
                Err(join) => Err(ResolveDnsError::new(std::io::Error::other(join))),
            }
        })
    }
}

/// The addresses of a loopback name (`localhost`, `x.localhost`) or of a name ending in an IP literal
/// (`123456789012.127.0.0.1`), without asking any resolver; `None` for every other name.
fn local_answer(name: &str) -> Option<Vec<IpAddr>> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if name == "localhost" || name.ends_with(".localhost") {
        return Some(vec![IpAddr::V4(Ipv4Addr::LOCALHOST), IpAddr::V6(Ipv6Addr::LOCALHOST)]);
    }
    if name.parse::<IpAddr>().is_ok() {
        return name.parse().ok().map(|ip| vec![ip]);
    }
    // Every suffix after a dot, longest first: `a.b.127.0.0.1` tries `b.127.0.0.1`, then `127.0.0.1`.
    name.match_indices('.')
        .map(|(i, _)| &name[i + 1..])
        .find_map(|rest| rest.parse::<Ipv4Addr>().ok())
        .map(|ip| vec![IpAddr::V4(ip)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_ip_suffixed_names_answer_locally() {
        let v4 = |s: &str| vec![IpAddr::V4(s.parse().unwrap())];
        assert_eq!(local_answer("123456789012.127.0.0.1"), Some(v4("127.0.0.1")));
        assert_eq!(local_answer("a.b.10.0.0.7"), Some(v4("10.0.0.7")));
        assert_eq!(local_answer("127.0.0.1"), Some(v4("127.0.0.1")));
        assert_eq!(local_answer("::1"), Some(vec![IpAddr::V6(Ipv6Addr::LOCALHOST)]));
        let loopback = Some(vec![IpAddr::V4(Ipv4Addr::LOCALHOST), IpAddr::V6(Ipv6Addr::LOCALHOST)]);
        assert_eq!(local_answer("123456789012.localhost"), loopback);
        assert_eq!(local_answer("LocalHost."), loopback);
    }

    #[test]
    fn every_other_name_goes_to_the_system_resolver() {
        for name in [
            "123456789012.s3-control.us-east-1.amazonaws.com",
            "sts.amazonaws.com",
            "localhost.example.com",
            "host.1.2.3",
            "emulator",
        ] {
            assert_eq!(local_answer(name), None, "{name}");
        }
    }
}
