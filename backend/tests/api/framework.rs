//! What every route shares: the error shape for the framework's own refusals, request ids,
//! CORS, compression, health probes and the API documents.

use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn unknown_routes_are_404_in_the_contracts_shape() {
    let app = spawn_app().await;
    for path in ["/nope", "/post/1/2", "/image", "/image/"] {
        let message = assert_error(app.get(path).await, 404).await;
        assert_eq!(message, "There is nothing at this address.", "{path}");
    }
    let post = app.client.post(app.url("/nowhere")).send().await.unwrap();
    assert_error(post, 404).await;
}

#[tokio::test]
async fn wrong_methods_are_405_in_the_contracts_shape() {
    let app = spawn_app().await;
    let cases = [
        (reqwest::Method::DELETE, "/post"),
        (reqwest::Method::PUT, "/post"),
        (reqwest::Method::PUT, "/post/1"),
        (reqwest::Method::POST, "/feed.atom"),
        (reqwest::Method::POST, "/p/1"),
        (reqwest::Method::POST, "/post/1"),
        (reqwest::Method::PUT, "/post/1/report"),
        (reqwest::Method::GET, "/update-post-score"),
        (reqwest::Method::POST, "/image/abc"),
        (reqwest::Method::POST, "/health"),
    ];
    for (method, path) in cases {
        let response = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        let message = assert_error(response, 405).await;
        assert_eq!(
            message, "This address does not accept that method.",
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn request_ids_are_generated_or_echoed() {
    let app = spawn_app().await;
    let generated = app.get("/health").await;
    let id = generated.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");

    let echoed = app
        .client
        .get(app.url("/post"))
        .header("x-request-id", "client-chosen-42")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "client-chosen-42");
    let failed = app
        .client
        .get(app.url("/missing"))
        .header("x-request-id", "failing-7")
        .send()
        .await
        .unwrap();
    assert_eq!(failed.headers()["x-request-id"], "failing-7");
}

#[tokio::test]
async fn cors_allows_the_configured_origins_only() {
    let app =
        spawn_app_with(|config| config.cors_origins = vec!["http://localhost:4200".into()]).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/post"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let allowed = preflight("http://localhost:4200").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "http://localhost:4200"
    );
    let refused = preflight("http://evil.test").await.unwrap();
    assert!(
        !refused
            .headers()
            .contains_key("access-control-allow-origin")
    );

    let listed = app
        .client
        .get(app.url("/post"))
        .header("origin", "http://localhost:4200")
        .send()
        .await
        .unwrap();
    let exposed = listed.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        exposed.contains("link"),
        "the app must read Link: {exposed}"
    );
    assert!(
        exposed.contains("retry-after"),
        "the app must read Retry-After: {exposed}"
    );

    let delete = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/post/1"))
        .header("origin", "http://localhost:4200")
        .header("access-control-request-method", "DELETE")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap();
    let methods = delete.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(methods.contains("DELETE"), "{methods}");
    let headers = delete.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(headers.contains("authorization"), "{headers}");
}

#[tokio::test]
async fn json_is_compressed_for_clients_that_accept_it() {
    let app = spawn_app().await;
    for i in 0..20 {
        app.create_ok(&format!("a reasonably long title number {i}"))
            .await;
    }
    let response = app
        .client
        .get(app.url("/post"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    assert_eq!(app.get("/health").await.status(), 200);
    let ready = app.get("/ready").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.json::<Value>().await.unwrap()["status"], "ready");
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let app = spawn_app().await;
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/post", "get"),
        ("/post", "post"),
        ("/update-post-score", "post"),
        ("/post/{id}", "delete"),
        ("/post/{id}", "get"),
        ("/p/{id}", "get"),
        ("/post/{id}/report", "post"),
        ("/feed.atom", "get"),
        ("/image/{hash}", "get"),
        ("/image/{hash}", "head"),
        ("/health", "get"),
        ("/ready", "get"),
        ("/openapi.json", "get"),
        ("/docs", "get"),
    ] {
        assert!(
            paths[path][method].is_object(),
            "{method} {path} missing from the document"
        );
    }
    assert!(doc["components"]["schemas"]["Post"].is_object());
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    assert!(doc["components"]["schemas"]["CreatedPost"].is_object());
    let report = &doc["components"]["schemas"]["ReportRequest"];
    assert_eq!(
        report["properties"]["reason"]["enum"],
        serde_json::json!(["spam", "abuse", "illegal", "sexual", "other"])
    );
    assert_eq!(report["properties"]["note"]["maxLength"], 500);
    assert_eq!(
        doc["components"]["securitySchemes"]["delete_token"]["scheme"],
        "bearer"
    );
    assert_eq!(
        doc["paths"]["/post/{id}"]["delete"]["security"][0]["delete_token"],
        serde_json::json!([])
    );
    for (path, method) in [("/post", "post"), ("/update-post-score", "post")] {
        assert!(
            doc["paths"][path][method]["responses"]["429"].is_object(),
            "{method} {path} documents its rate limit"
        );
    }
    // What a generated client needs to read every answer: images are files, the probes have
    // a body, the feed and the post page their own types.
    let image = &doc["paths"]["/image/{hash}"]["get"]["responses"]["200"]["content"]["image/*"];
    assert_eq!(image["schema"]["type"], "string", "{image}");
    assert_eq!(image["schema"]["format"], "binary", "{image}");
    assert!(doc["paths"]["/image/{hash}"]["head"]["responses"]["200"]["content"].is_null());
    for probe in ["/health", "/ready"] {
        let body = &doc["paths"][probe]["get"]["responses"]["200"]["content"]["application/json"];
        assert_eq!(
            body["schema"]["$ref"], "#/components/schemas/Status",
            "{probe}"
        );
    }
    assert_eq!(
        doc["components"]["schemas"]["Status"]["properties"]["status"]["type"],
        "string"
    );
    assert!(
        doc["paths"]["/feed.atom"]["get"]["responses"]["200"]["content"]["application/atom+xml"]
            .is_object()
    );
    assert!(doc["paths"]["/p/{id}"]["get"]["responses"]["200"]["content"]["text/html"].is_object());
}

#[tokio::test]
async fn the_docs_page_and_its_assets_are_served_offline() {
    let app = spawn_app().await;
    let page = app.get("/docs").await;
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("<base href=\"/docs/\">"));
    assert!(!html.contains("https://"), "no asset from a CDN");
    for asset in [
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "swagger-initializer.js",
    ] {
        let response = app.get(&format!("/docs/{asset}")).await;
        assert_eq!(response.status(), 200, "{asset}");
        if asset == "swagger-initializer.js" {
            assert!(response.text().await.unwrap().contains("/openapi.json"));
        }
    }
    assert_error(app.get("/docs/nope.js").await, 404).await;
}

/// The document states every rule the server enforces, with the domain's own numbers, so a
/// client generated from it sends nothing the server refuses (and the two cannot drift).
#[tokio::test]
async fn the_openapi_document_states_the_domains_rules() {
    use postboard::domain::{ImageHash, ImageKind, PageLimit, ScoreChange, Sort, TextField};

    let app = spawn_app().await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    let resolve = |schema: &Value| -> Value {
        match schema["$ref"].as_str() {
            Some(reference) => {
                let name = reference.rsplit('/').next().unwrap();
                doc["components"]["schemas"][name].clone()
            }
            None => schema.clone(),
        }
    };

    // The post form: every text field's length, blank rule and characters; the file's types.
    let create = &doc["paths"]["/post"]["post"]["requestBody"]["content"]["multipart/form-data"];
    let form = resolve(&create["schema"]);
    assert_eq!(form["additionalProperties"], false, "{form}");
    let required: Vec<&str> = form["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for field in TextField::ALL {
        let schema = &form["properties"][field.name()];
        assert_eq!(schema["maxLength"], field.max_chars(), "{field:?}");
        assert_eq!(
            required.contains(&field.name()),
            field.required(),
            "{field:?}"
        );
        assert!(
            schema["pattern"]
                .as_str()
                .unwrap()
                .contains(r"\u0000-\u0008")
        );
    }
    assert_eq!(form["properties"]["file"]["format"], "binary");
    let types = create["encoding"]["file"]["contentType"].as_str().unwrap();
    for kind in ImageKind::ALL {
        assert!(types.contains(kind.content_type()), "{types}");
    }

    // The vote: its fields, the only two changes, nothing else.
    let vote = &doc["paths"]["/update-post-score"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"];
    let vote = resolve(vote);
    assert_eq!(vote["additionalProperties"], false);
    assert_eq!(
        vote["required"],
        serde_json::json!(["post_id", "score_increase"])
    );
    assert_eq!(
        vote["properties"]["score_increase"]["enum"],
        serde_json::json!(ScoreChange::ALLOWED)
    );

    // The listing's parameters and the image hash.
    let params = doc["paths"]["/post"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let param = |name: &str| params.iter().find(|p| p["name"] == name).unwrap()["schema"].clone();
    let sorts: Vec<&str> = Sort::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(param("sort")["enum"], serde_json::json!(sorts));
    let sort_description = params.iter().find(|p| p["name"] == "sort").unwrap()["description"]
        .as_str()
        .unwrap();
    for sort in Sort::ALL {
        assert!(
            sort_description.contains(&format!("`{}`", sort.as_str())),
            "{sort_description}"
        );
    }
    assert_eq!(
        param("q")["maxLength"],
        postboard::domain::SearchQuery::MAX_CHARS
    );
    assert_eq!(param("limit")["minimum"], PageLimit::MIN);
    assert_eq!(param("limit")["maximum"], PageLimit::MAX);
    assert_eq!(param("limit")["default"], PageLimit::DEFAULT);
    let image = &doc["paths"]["/image/{hash}"]["get"]["parameters"][0];
    assert_eq!(image["schema"]["pattern"], ImageHash::PATTERN);
}
