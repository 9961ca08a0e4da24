use oxapi::prelude::*;
use std::fs::{self, File};
use std::io::Read;

#[get("/report")]
async fn report() -> Result<String, ApiError> {
    let internal = |error: std::io::Error| ApiError::internal(error.to_string());
    let mut text = std::fs::read_to_string("report.txt").map_err(internal)?;
    fs::write("report.bak", &text).map_err(internal)?;
    let mut file = File::open("extra.txt").map_err(internal)?;
    file.read_to_string(&mut text).map_err(internal)?;
    if fs::exists("report.lock").unwrap_or(false) {
        return Err(ApiError::internal("locked"));
    }
    Ok(text)
}

fn main() {}
