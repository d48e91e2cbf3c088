//! App key pairs made the way GitHub makes them: GitHub generates an App's private key (RSA,
//! 2048 bits) and its owner downloads it as a PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`); GitHub keeps
//! the public half. Here the sandbox keeps the public half ([`AppOptions::public_key_pem`]) and
//! hands the private one to the test (or writes it to a file, `serve --app-private-key-out`).

use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::{RsaPrivateKey, RsaPublicKey};

use crate::AppOptions;

/// The size of the keys GitHub generates for Apps.
const BITS: usize = 2048;

/// A fresh RSA key pair for a GitHub App. `Debug` never shows the private key.
#[derive(Clone)]
pub struct AppKeyPair {
    /// The private key as GitHub's download holds it: PKCS#1 PEM (`-----BEGIN RSA PRIVATE
    /// KEY-----`), 2048 bits, LF line endings. What a client signs its JWTs with.
    pub private_pem: String,
    /// The public key, SPKI PEM (`-----BEGIN PUBLIC KEY-----`): what the sandbox verifies JWTs with.
    pub public_pem: String,
}

impl std::fmt::Debug for AppKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppKeyPair")
            .field("private_pem", &"<redacted>")
            .field("public_pem", &self.public_pem)
            .finish()
    }
}

impl AppKeyPair {
    /// Generates a 2048-bit RSA key pair from the operating system's randomness (well under a
    /// second in debug builds: the workspace optimises `rsa` and `num-bigint-dig`).
    ///
    /// # Panics
    /// When the operating system gives no randomness.
    pub fn generate() -> Self {
        let private = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, BITS)
            .expect("generating an RSA key (no OS randomness?)");
        let public = RsaPublicKey::from(&private);
        Self {
            private_pem: private
                .to_pkcs1_pem(LineEnding::LF)
                .expect("encoding a generated RSA key")
                .to_string(),
            public_pem: public
                .to_public_key_pem(LineEnding::LF)
                .expect("encoding a generated RSA public key"),
        }
    }
}

impl AppOptions {
    /// An App with id `id`, a freshly generated key pair and GitHub's token lifetime (1 hour), as
    /// GitHub creates one: the options keep the public key, the private key (PKCS#1 PEM) is
    /// returned for the client to sign its JWTs with.
    ///
    /// ```
    /// use codex_sandbox::{AppOptions, SandboxOptions};
    /// let (app, private_pem) = AppOptions::generate(4242);
    /// assert!(private_pem.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    /// let opts = SandboxOptions { app: Some(app), ..Default::default() };
    /// # drop(opts);
    /// ```
    pub fn generate(id: u64) -> (Self, String) {
        let keys = AppKeyPair::generate();
        (Self::new(id, keys.public_pem), keys.private_pem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pairs_are_pem_and_distinct_and_hide_the_private_key() {
        let a = AppKeyPair::generate();
        assert!(
            a.private_pem
                .starts_with("-----BEGIN RSA PRIVATE KEY-----\n")
        );
        assert!(a.public_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert!(!format!("{a:?}").contains("PRIVATE"));
        let (opts, private) = AppOptions::generate(7);
        assert_eq!(opts.id, 7);
        assert_eq!(opts.installation_token_ttl_secs, 3600);
        assert_ne!(private, a.private_pem);
        assert_ne!(opts.public_key_pem, a.public_pem);
    }
}
