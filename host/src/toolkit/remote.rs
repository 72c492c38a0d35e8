//! `arcade plugin upload` and `arcade plugin list`: the two commands that
//! talk to a running service, through its HTTP API (`POST /v1/plugins`,
//! `GET /v1/plugins`). Every failure is a sentence naming what to do, and
//! a non-zero exit.

use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use serde_json::Value;

use crate::cli::{PluginUploadArgs, RemoteArgs};

/// Long enough for the service to compile a large component.
const TIMEOUT: Duration = Duration::from_secs(120);

/// Upload the component; prints what the service registered.
pub(super) async fn upload(args: &PluginUploadArgs) -> anyhow::Result<()> {
    let wasm =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let remote = &args.remote;
    let request = client()?
        .post(endpoint(remote)?)
        .bearer_auth(&remote.key)
        .header(reqwest::header::CONTENT_TYPE, "application/wasm")
        .body(wasm);
    let (status, body) = send(remote, request).await?;
    let what = format!(
        "{} {} (sha256 {})",
        body["name"].as_str().unwrap_or("?"),
        body["version"].as_str().unwrap_or("?"),
        body["sha256"].as_str().unwrap_or("?"),
    );
    match status {
        201 => println!("uploaded {what}"),
        200 => println!("already registered with these bytes: {what}"),
        _ => return Err(refused(remote, status, &body, "upload")),
    }
    Ok(())
}

/// List the registered plugin versions, one a line.
pub(super) async fn list(remote: &RemoteArgs) -> anyhow::Result<()> {
    let request = client()?.get(endpoint(remote)?).bearer_auth(&remote.key);
    let (status, body) = send(remote, request).await?;
    if status != 200 {
        return Err(refused(remote, status, &body, "list"));
    }
    let plugins = body["plugins"].as_array().cloned().unwrap_or_default();
    if plugins.is_empty() {
        println!("no plugins registered");
    }
    for p in &plugins {
        let text = |k: &str| p[k].as_str().unwrap_or("").to_owned();
        let sha = text("sha256");
        println!(
            "{:<24} {:<12} sha256 {}  {}",
            text("name"),
            text("version"),
            sha.get(..12).unwrap_or(&sha),
            text("created_at")
        );
    }
    Ok(())
}

fn client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .context("making the HTTP client")
}

fn endpoint(remote: &RemoteArgs) -> anyhow::Result<String> {
    let base = remote.url.trim_end_matches('/');
    if base.starts_with("https://") {
        bail!(
            "{base}: this build of arcade speaks plain HTTP only; reach the service over http:// \
             (for example through an SSH tunnel) or upload with curl"
        );
    }
    if !base.starts_with("http://") {
        bail!("--url {base:?} must start with http://");
    }
    Ok(format!("{base}/v1/plugins"))
}

/// Send; the status and the JSON body (null if there is none).
async fn send(
    remote: &RemoteArgs,
    request: reqwest::RequestBuilder,
) -> anyhow::Result<(u16, Value)> {
    let response = request.send().await.map_err(|e| {
        if e.is_connect() || e.is_timeout() {
            anyhow!(
                "cannot reach the service at {}: {e}; is it running (arcade serve) and is --url right?",
                remote.url
            )
        } else {
            anyhow!("request to {} failed: {e}", remote.url)
        }
    })?;
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    Ok((status, body))
}

/// The service's refusal as a sentence.
fn refused(remote: &RemoteArgs, status: u16, body: &Value, what: &str) -> anyhow::Error {
    let code = body["error"]["code"].as_str().unwrap_or("");
    let message = body["error"]["message"].as_str().unwrap_or("");
    let hint = match (status, code) {
        (401, _) => format!(
            "the service at {} does not know this key; pass its admin token with --key \
             (arcade serve keeps a generated one in <data-dir>/admin-token)",
            remote.url
        ),
        (403, _) => format!("this key may not {what} plugins; uploads need the admin token"),
        (409, "plugin_version_exists") => {
            "give the build a new version (in Cargo.toml and in `Manifest::new`); while \
             developing, `arcade plugin dev` reloads a version in place"
                .to_owned()
        }
        (404, _) => format!(
            "no plugin API at {}; is --url an Arcade service?",
            remote.url
        ),
        _ => String::new(),
    };
    let mut text = format!("{what} refused: {status}");
    if !code.is_empty() {
        text.push_str(&format!(" {code}"));
    }
    if !message.is_empty() {
        text.push_str(&format!(": {message}"));
    }
    if !hint.is_empty() {
        text.push_str(&format!("\n  {hint}"));
    }
    anyhow!(text)
}
