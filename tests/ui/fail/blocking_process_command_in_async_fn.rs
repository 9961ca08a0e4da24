use oxapi::prelude::*;
use std::process::Command;

#[post("/deploy")]
async fn deploy() -> Result<String, ApiError> {
    let internal = |error: std::io::Error| ApiError::internal(error.to_string());
    let output = Command::new("git").arg("pull").output().map_err(internal)?;
    let status = std::process::Command::new("make").status();
    let waited = Command::new("sleep").arg("1").spawn().map_err(internal)?.wait().unwrap();
    Ok(format!("{output:?} {status:?} {waited:?}"))
}

fn main() {}
