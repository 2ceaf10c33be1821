//! deploy/k8s/: the manifests kustomize applies, a configuration the server reads and accepts,
//! probes, drains and the ingress.

use super::{docker::dockerfile_uid, *};

const K8S_DIR: &str = "deploy/k8s";
/// Not applied by kustomization.yaml: real credentials never live in the repository.
const K8S_EXAMPLE_SECRET: &str = "secret.example.yaml";

/// Every object in deploy/k8s/*.yaml (a file may hold several, separated by `---`), with its
/// file name; kustomization.yaml left out.
fn k8s_objects() -> Vec<(String, Value)> {
    use serde::Deserialize;

    let mut files: Vec<String> = fs::read_dir(repo_root().join(K8S_DIR))
        .expect("deploy/k8s/ exists")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".yaml") && f != "kustomization.yaml")
        .collect();
    files.sort();
    let mut objects = Vec::new();
    for file in files {
        let text = read(&format!("{K8S_DIR}/{file}"));
        for document in serde_yaml::Deserializer::from_str(&text) {
            let value = Value::deserialize(document)
                .unwrap_or_else(|e| panic!("{K8S_DIR}/{file} is not valid YAML: {e}"));
            if !value.is_null() {
                objects.push((file.clone(), value));
            }
        }
    }
    objects
}

fn k8s_object<'a>(objects: &'a [(String, Value)], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .map(|(_, o)| o)
        .find(|o| {
            o.get("kind").map(str_of).as_deref() == Some(kind)
                && o.get("metadata")
                    .and_then(|m| m.get("name"))
                    .map(str_of)
                    .as_deref()
                    == Some(name)
        })
        .unwrap_or_else(|| panic!("{K8S_DIR} has no {kind} {name}"))
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_mapping)
        .map(|m| m.iter().map(|(k, v)| (str_of(k), str_of(v))).collect())
        .unwrap_or_default()
}

/// The app's container in the Deployment.
fn k8s_container(objects: &[(String, Value)]) -> &Value {
    k8s_object(objects, "Deployment", "postboard")["spec"]["template"]["spec"]["containers"]
        .as_sequence()
        .and_then(|c| c.iter().find(|c| c["name"].as_str() == Some("postboard")))
        .expect("the Deployment has a container `postboard`")
}

/// The ConfigMap's and the example Secret's variables, as the pod's environment.
fn k8s_environment(
    objects: &[(String, Value)],
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let container = k8s_container(objects);
    let from: Vec<&Value> = container["envFrom"]
        .as_sequence()
        .expect("envFrom")
        .iter()
        .collect();
    let named = |key: &str| -> String {
        from.iter()
            .find_map(|f| f.get(key).map(|r| str_of(&r["name"])))
            .unwrap_or_else(|| panic!("the container takes its environment from a {key}"))
    };
    let config = string_map(k8s_object(objects, "ConfigMap", &named("configMapRef")).get("data"));
    let secret = string_map(k8s_object(objects, "Secret", &named("secretRef")).get("stringData"));
    (config, secret)
}

fn port_of(addr: &str) -> u64 {
    addr.rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {addr}"))
}

fn container_port(container: &Value, name: &str) -> u64 {
    container["ports"]
        .as_sequence()
        .and_then(|ports| ports.iter().find(|p| p["name"].as_str() == Some(name)))
        .and_then(|p| p["containerPort"].as_u64())
        .unwrap_or_else(|| panic!("the container has no port named {name}"))
}

#[test]
fn k8s_kustomization_applies_every_manifest_but_the_example_secret() {
    let kustomization = yaml(&format!("{K8S_DIR}/kustomization.yaml"));
    let resources: BTreeSet<String> = kustomization["resources"]
        .as_sequence()
        .expect("kustomization.yaml lists resources")
        .iter()
        .map(str_of)
        .collect();
    let files: BTreeSet<String> = k8s_objects()
        .into_iter()
        .map(|(file, _)| file)
        .filter(|f| f != K8S_EXAMPLE_SECRET)
        .collect();
    assert_eq!(
        resources, files,
        "kustomization.yaml applies every manifest but {K8S_EXAMPLE_SECRET}"
    );
}

#[test]
fn k8s_configuration_is_one_the_server_reads_and_accepts() {
    let objects = k8s_objects();
    let (config, secret) = k8s_environment(&objects);
    let known = known_vars();
    let container = k8s_container(&objects);
    let direct: Vec<String> = container
        .get("env")
        .and_then(Value::as_sequence)
        .map(|env| env.iter().map(|e| str_of(&e["name"])).collect())
        .unwrap_or_default();
    for name in config.keys().chain(secret.keys()).chain(&direct) {
        assert!(
            known.contains(name.as_str()),
            "{K8S_DIR} sets {name}, but the server reads no such variable ({known:?})"
        );
    }
    for name in config.keys() {
        assert!(
            !secret.contains_key(name),
            "{name} is both in the ConfigMap and the Secret"
        );
    }
    for name in ["DATABASE_URL", "S3_ACCESS_KEY", "S3_SECRET_KEY"] {
        assert!(
            secret.contains_key(name),
            "{name} is a credential: it belongs in the Secret"
        );
    }
    for name in REQUIRED_APP_VARS {
        assert!(
            config.contains_key(*name) || secret.contains_key(*name),
            "{K8S_DIR} must set {name}"
        );
    }
    let parsed = postboard::config::Config::from_lookup(|name| {
        config.get(name).or_else(|| secret.get(name)).cloned()
    })
    .unwrap_or_else(|e| panic!("the server refuses {K8S_DIR}'s configuration: {e}"));
    assert_eq!(
        container_port(container, "http"),
        u64::from(parsed.bind_addr.port()),
        "the container port `http` is BIND_ADDR's"
    );
    let metrics = parsed
        .metrics_addr
        .expect("METRICS_ADDR is set: Prometheus scrapes every pod");
    assert_eq!(
        container_port(container, "metrics"),
        u64::from(metrics.port())
    );
    assert_eq!(
        port_of(&config["BIND_ADDR"]),
        u64::from(parsed.bind_addr.port())
    );
    assert!(
        read("Dockerfile").contains(&config["STATIC_DIR"]),
        "STATIC_DIR={} is not where the Dockerfile puts the SPA",
        config["STATIC_DIR"]
    );
    let service = k8s_object(&objects, "Service", "postboard");
    for port in service["spec"]["ports"]
        .as_sequence()
        .expect("Service ports")
    {
        container_port(container, &str_of(&port["targetPort"]));
    }
}

#[test]
fn k8s_deployment_probes_drains_and_runs_locked_down() {
    let objects = k8s_objects();
    let deployment = k8s_object(&objects, "Deployment", "postboard");
    assert_eq!(deployment["spec"]["replicas"].as_u64(), Some(2));
    let pod = &deployment["spec"]["template"]["spec"];
    let container = k8s_container(&objects);
    for (probe, path) in [("readinessProbe", "/ready"), ("livenessProbe", "/health")] {
        let get = &container[probe]["httpGet"];
        assert_eq!(get["path"].as_str(), Some(path), "{probe} asks {path}");
        assert_eq!(
            get["port"].as_str(),
            Some("http"),
            "{probe} on the port `http`"
        );
    }

    // The grace period covers the preStop pause and the app's drain: requests in flight (at
    // most the request timeout) and then the background work (10 s, startup::BACKGROUND_GRACE).
    let pause: u64 = container["lifecycle"]["preStop"]["exec"]["command"]
        .as_sequence()
        .and_then(|c| (c.len() == 2 && c[0].as_str() == Some("sleep")).then(|| str_of(&c[1])))
        .expect("preStop is `sleep N`")
        .parse()
        .unwrap();
    let (config, secret) = k8s_environment(&objects);
    let parsed = postboard::config::Config::from_lookup(|name| {
        config.get(name).or_else(|| secret.get(name)).cloned()
    })
    .unwrap();
    let grace = pod["terminationGracePeriodSeconds"]
        .as_u64()
        .expect("terminationGracePeriodSeconds");
    assert!(
        grace > pause + parsed.request_timeout.as_secs() + 10,
        "terminationGracePeriodSeconds {grace} must outlast the pause ({pause} s) and the drain"
    );

    for level in ["requests", "limits"] {
        for resource in ["cpu", "memory"] {
            assert!(
                !container["resources"][level][resource].is_null(),
                "the container sets resources.{level}.{resource}"
            );
        }
    }
    let uid = dockerfile_uid();
    for (what, context) in [
        ("pod", &pod["securityContext"]),
        ("container", &container["securityContext"]),
    ] {
        assert_eq!(
            context["runAsNonRoot"].as_bool(),
            Some(true),
            "{what} runAsNonRoot"
        );
        assert_eq!(
            context["runAsUser"].as_u64(),
            Some(uid),
            "{what} runs as the Dockerfile's USER"
        );
        assert_eq!(
            context["seccompProfile"]["type"].as_str(),
            Some("RuntimeDefault")
        );
    }
    let context = &container["securityContext"];
    assert_eq!(context["readOnlyRootFilesystem"].as_bool(), Some(true));
    assert_eq!(context["allowPrivilegeEscalation"].as_bool(), Some(false));
    assert_eq!(
        context["capabilities"]["drop"]
            .as_sequence()
            .map(|d| d.iter().map(str_of).collect::<Vec<_>>()),
        Some(vec!["ALL".to_owned()])
    );
}

#[test]
fn k8s_ingress_lets_the_app_answer_uploads_and_streams_events() {
    let objects = k8s_objects();
    let (config, secret) = k8s_environment(&objects);
    let parsed = postboard::config::Config::from_lookup(|name| {
        config.get(name).or_else(|| secret.get(name)).cloned()
    })
    .unwrap();
    let ingresses: Vec<&Value> = objects
        .iter()
        .map(|(_, o)| o)
        .filter(|o| o["kind"].as_str() == Some("Ingress"))
        .collect();
    let annotation = |ingress: &Value, name: &str| -> Option<String> {
        ingress["metadata"]["annotations"]
            .get(format!("nginx.ingress.kubernetes.io/{name}"))
            .map(str_of)
    };
    let serves = |ingress: &Value, path: &str| -> bool {
        ingress["spec"]["rules"]
            .as_sequence()
            .into_iter()
            .flatten()
            .any(|rule| {
                rule["http"]["paths"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .any(|p| p["path"].as_str() == Some(path))
            })
    };
    let events = ingresses
        .iter()
        .find(|i| serves(i, "/events"))
        .expect("an Ingress for /events");
    let rest = ingresses
        .iter()
        .find(|i| serves(i, "/"))
        .expect("an Ingress for /");
    assert_eq!(
        annotation(events, "proxy-buffering").as_deref(),
        Some("off")
    );
    let read_timeout: u64 = annotation(events, "proxy-read-timeout")
        .expect("proxy-read-timeout")
        .parse()
        .unwrap();
    assert!(
        read_timeout > 15,
        "/events sends a keep-alive every 15 s; {read_timeout} s is too short"
    );
    let read_timeout: u64 = annotation(rest, "proxy-read-timeout")
        .expect("proxy-read-timeout")
        .parse()
        .unwrap();
    assert!(
        read_timeout > parsed.request_timeout.as_secs(),
        "the app answers a slow request itself (503) within its timeout; the proxy waits longer"
    );
    let body = annotation(rest, "proxy-body-size").expect("proxy-body-size");
    assert_proxy_lets_the_app_refuse_large_bodies("proxy-body-size", &body, parsed.max_image_bytes);
}
