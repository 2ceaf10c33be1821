//! deploy/nginx.conf, the proxy of compose: it spreads requests over every app, streams live
//! events unbuffered, and is the only peer the apps trust.

use super::*;

/// The text of a `{ ... }` block of nginx.conf that starts with `opening` (comments removed).
fn nginx_block<'a>(conf: &'a str, opening: &str) -> &'a str {
    let start = conf
        .find(opening)
        .unwrap_or_else(|| panic!("deploy/nginx.conf has no `{opening}` block"));
    let body = start + conf[start..].find('{').expect("a block") + 1;
    let mut depth = 1;
    for (i, c) in conf[body..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if depth == 0 {
            return &conf[body..body + i];
        }
    }
    panic!("`{opening}` is not closed");
}

/// `60s`, `1m`, `1h` (nginx time) in seconds.
fn nginx_seconds(value: &str) -> u64 {
    let (number, unit) = value.split_at(
        value
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(value.len()),
    );
    let number: u64 = number.parse().expect("a number of seconds");
    number
        * match unit {
            "" | "s" => 1,
            "m" => 60,
            "h" => 3600,
            other => panic!("unexpected time unit {other}"),
        }
}

#[test]
fn nginx_conf_spreads_over_every_app_and_streams_events_unbuffered() {
    let compose = yaml("docker-compose.yml");
    let conf: String = read("deploy/nginx.conf")
        .lines()
        .map(|line| line.split('#').next().unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let directive = |block: &str, name: &str| -> Option<String> {
        block.lines().map(str::trim).find_map(|line| {
            let rest = line.strip_prefix(name)?.strip_prefix(' ')?;
            Some(rest.trim_end_matches(';').trim().to_owned())
        })
    };

    let upstream = nginx_block(&conf, "upstream postboard");
    let servers: BTreeSet<String> = upstream
        .lines()
        .filter_map(|line| line.trim().strip_prefix("server "))
        .map(|server| server.split_whitespace().next().unwrap().to_owned())
        .collect();
    let apps: BTreeSet<String> = app_services(&compose)
        .into_iter()
        .map(|(name, _)| format!("{name}:8000"))
        .collect();
    assert_eq!(servers, apps, "the upstream lists every app replica");

    let server = nginx_block(&conf, "server {");
    assert_eq!(directive(server, "listen").as_deref(), Some("8000"));
    assert_eq!(
        directive(server, "proxy_http_version").as_deref(),
        Some("1.1")
    );
    assert!(
        server.contains("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;"),
        "the proxy appends the client's address to X-Forwarded-For"
    );
    let body = directive(server, "client_max_body_size").expect("client_max_body_size");
    let max_image: usize = setting("MAX_IMAGE_BYTES").default.parse().unwrap();
    assert_proxy_lets_the_app_refuse_large_bodies("client_max_body_size", &body, max_image);
    // What nginx answers itself (a body over its own limit, no replica answering, a replica
    // timing out) has the contract's JSON shape too (tests/api/behind_nginx.rs sees it).
    let error_page = directive(server, "error_page").expect("error_page");
    let words: Vec<&str> = error_page.split_whitespace().collect();
    for code in ["413", "502", "504"] {
        assert!(
            words.contains(&code),
            "error_page {error_page} covers {code}"
        );
    }
    let page = nginx_block(&conf, &format!("location = {}", words.last().unwrap()));
    assert_eq!(
        directive(page, "default_type").as_deref(),
        Some("application/json"),
        "{page}"
    );

    let events = nginx_block(&conf, "location = /events");
    assert_eq!(directive(events, "proxy_buffering").as_deref(), Some("off"));
    let read_timeout = directive(events, "proxy_read_timeout").expect("proxy_read_timeout");
    assert!(
        nginx_seconds(&read_timeout) > 15,
        "/events sends a keep-alive every 15 s; proxy_read_timeout {read_timeout} must be longer"
    );
}

#[test]
fn the_apps_trust_exactly_the_proxy() {
    use std::net::IpAddr;

    use postboard::domain::TrustedProxies;

    let compose = yaml("docker-compose.yml");
    let proxy_addr: IpAddr = service(&compose, "proxy")
        .get("networks")
        .and_then(|n| n.get("default"))
        .and_then(|n| n.get("ipv4_address"))
        .map(str_of)
        .expect("the proxy has a fixed address on the default network")
        .parse()
        .unwrap();
    let ipam = compose
        .get("networks")
        .and_then(|n| n.get("default"))
        .and_then(|n| n.get("ipam"))
        .and_then(|i| i.get("config"))
        .and_then(Value::as_sequence)
        .and_then(|c| c.first())
        .expect("the default network has a fixed subnet");
    let net = |key: &str| -> ipnet::IpNet {
        str_of(
            ipam.get(key)
                .unwrap_or_else(|| panic!("ipam config has {key}")),
        )
        .parse()
        .unwrap()
    };
    let (subnet, dynamic) = (net("subnet"), net("ip_range"));
    assert!(subnet.contains(&proxy_addr), "{proxy_addr} is in {subnet}");
    assert!(
        !dynamic.contains(&proxy_addr),
        "no other container may be given the proxy's address {proxy_addr} (ip_range {dynamic})"
    );

    let others = [
        subnet.hosts().next().unwrap(), // the gateway: connections from the host
        dynamic.hosts().next().unwrap(),
        dynamic.hosts().last().unwrap(),
    ];
    for (name, app) in app_services(&compose) {
        let env = env_map(app);
        let raw = env
            .get("TRUSTED_PROXIES")
            .unwrap_or_else(|| panic!("{name} sets TRUSTED_PROXIES"));
        let trusted = TrustedProxies::parse(raw).expect("TRUSTED_PROXIES parses");
        assert!(
            trusted.contains(proxy_addr),
            "{name} trusts the proxy at {proxy_addr}"
        );
        for other in others {
            assert!(
                !trusted.contains(other),
                "{name} trusts {other}, which is not the proxy: a client there could claim any address"
            );
        }
    }
}
