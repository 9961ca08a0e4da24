use std::path::Path;

use super::TlsConfig;
use super::error::Kind;

/// A self-signed certificate for `localhost` and its key, as PEM.
fn self_signed() -> (String, String) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    (certified.cert.pem(), certified.signing_key.serialize_pem())
}

fn kind_of(cert: &str, key: &str) -> Kind {
    TlsConfig::from_pem(cert, key).unwrap_err().kind()
}

#[test]
fn a_certificate_and_its_key_make_a_config_offering_h2_then_http1() {
    let (cert, key) = self_signed();
    let config = TlsConfig::from_pem(&cert, &key).unwrap();
    assert_eq!(config.alpn(), [b"h2".to_vec(), b"http/1.1".to_vec()]);
    assert_eq!(config.timeout(), super::DEFAULT_HANDSHAKE_TIMEOUT);
    // Nothing to read again: the certificate stays.
    let before = config.current();
    config.reload().unwrap();
    assert!(std::sync::Arc::ptr_eq(&before, &config.current()));
}

#[test]
fn bad_pem_is_told_apart() {
    let (cert, key) = self_signed();
    let (_, other_key) = self_signed();
    let not_x509 = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    let bad_base64 = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
    let unterminated = "-----BEGIN CERTIFICATE-----\nAAAA\n";
    let not_a_key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    let bad_key_base64 = "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n";
    let cases = [
        ("", key.as_str(), Kind::NoCertificate),
        ("just text", key.as_str(), Kind::NoCertificate),
        (key.as_str(), key.as_str(), Kind::NoCertificate),
        (bad_base64, key.as_str(), Kind::BadCertificatePem),
        (unterminated, key.as_str(), Kind::BadCertificatePem),
        (cert.as_str(), "", Kind::NoKey),
        (cert.as_str(), cert.as_str(), Kind::NoKey),
        (cert.as_str(), bad_key_base64, Kind::BadKeyPem),
        (cert.as_str(), not_a_key, Kind::UnsupportedKey),
        (cert.as_str(), other_key.as_str(), Kind::KeyMismatch),
        (not_x509, key.as_str(), Kind::InvalidCertificate),
    ];
    for (cert, key, expected) in cases {
        assert_eq!(kind_of(cert, key), expected, "{cert:?} / {key:?}");
    }
}

#[test]
fn file_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, &cert).unwrap();

    let error = TlsConfig::from_pem_files(&cert_path, &key_path).unwrap_err();
    assert_eq!(error.kind(), Kind::ReadKey);
    assert_eq!(error.path(), Some(key_path.as_path()));
    let text = error.to_string();
    assert!(
        text.starts_with("cannot read the TLS private key `"),
        "{text}"
    );
    assert!(text.contains("key.pem"), "{text}");
    let source = std::error::Error::source(&error).unwrap().to_string();
    assert!(source.contains("No such file"), "{source}");

    std::fs::write(&key_path, "not a key").unwrap();
    let error = TlsConfig::from_pem_files(&cert_path, &key_path).unwrap_err();
    assert_eq!(error.kind(), Kind::NoKey);
    assert_eq!(error.path(), Some(key_path.as_path()));

    std::fs::write(&key_path, &key).unwrap();
    let missing = dir.path().join("missing.pem");
    let error = TlsConfig::from_pem_files(&missing, &key_path).unwrap_err();
    assert_eq!(error.kind(), Kind::ReadCertificate);
    assert_eq!(error.path(), Some(missing.as_path()));
    TlsConfig::from_pem_files(&cert_path, &key_path).unwrap();
}

fn write(dir: &Path, (cert, key): &(String, String)) {
    std::fs::write(dir.join("cert.pem"), cert).unwrap();
    std::fs::write(dir.join("key.pem"), key).unwrap();
}

#[test]
fn a_reload_swaps_the_certificate_and_a_failed_one_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let first = self_signed();
    write(dir.path(), &first);
    let config =
        TlsConfig::from_pem_files(dir.path().join("cert.pem"), dir.path().join("key.pem")).unwrap();
    let clone = config.clone();
    let der = |config: &TlsConfig| config.current().cert[0].to_vec();
    let first_der = der(&config);

    let second = self_signed();
    write(dir.path(), &second);
    clone.reload().unwrap();
    let second_der = der(&config);
    assert_ne!(first_der, second_der, "a clone's reload is seen by all");

    // A renewal half written: the new certificate with the old key.
    std::fs::write(dir.path().join("cert.pem"), self_signed().0).unwrap();
    let error = config.reload().unwrap_err();
    assert_eq!(error.kind(), Kind::KeyMismatch);
    assert_eq!(der(&config), second_der, "the certificate in use is kept");

    std::fs::remove_file(dir.path().join("key.pem")).unwrap();
    assert_eq!(config.reload().unwrap_err().kind(), Kind::ReadKey);
    assert_eq!(der(&config), second_der);
}
