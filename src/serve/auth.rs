//! Who may post events to `ceh serve`: a client with its shared token
//! (`CEH_SERVE_TOKEN`), or a cloud with an OIDC token it signed: Pub/Sub
//! push's, Event Grid's (Microsoft Entra ID). A token is verified against the
//! keys of a JWKS file the operator gives (nothing is fetched), with the
//! audience and issuer checks the platform documents.

use std::sync::Arc;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

/// The issuers of Google's OIDC tokens, as Pub/Sub push signs them
/// (<https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions>).
const GOOGLE_ISSUERS: [&str; 2] = ["accounts.google.com", "https://accounts.google.com"];

/// Event Grid's application ID in Microsoft Entra ID: the `appid` (v1) or
/// `azp` (v2) of the tokens it gets to deliver to a secured webhook
/// (<https://learn.microsoft.com/azure/event-grid/secure-webhook-delivery>).
const EVENT_GRID_APP_ID: &str = "4962773b-9cdb-44cf-a8bf-237846a00ab7";

/// One kind of OIDC token `ceh serve` takes in `Authorization: Bearer …`:
/// its keys, and what its claims must say. Built from the keys' JWKS text.
///
/// ```
/// use cloud_events_handler::serve::OidcCheck;
///
/// let jwks = r#"{"keys": [{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig", "n": "sXch", "e": "AQAB"}]}"#;
/// let check = OidcCheck::pubsub(jwks, "https://ceh.example.run.app/", Some("push@p.iam.gserviceaccount.com".into()))?;
/// assert_eq!(check.sender(), "Pub/Sub push");
/// assert!(check.verify("not.a.token").is_err());
/// assert!(OidcCheck::eventgrid("{}", "api://ceh", "tenant").is_err(), "a JWKS has keys");
/// # Ok::<(), String>(())
/// ```
#[derive(Clone)]
pub struct OidcCheck {
    sender: &'static str,
    keys: Arc<JwkSet>,
    validation: Validation,
    claims: Expected,
}

/// What is checked past the audience, the issuer and the expiry.
#[derive(Clone, Debug)]
enum Expected {
    /// Pub/Sub push: the service account, when one is named, verified.
    Google { email: Option<String> },
    /// Event Grid: the token was issued to Event Grid itself.
    EventGrid,
}

#[derive(Deserialize)]
struct Claims {
    email: Option<String>,
    email_verified: Option<bool>,
    appid: Option<String>,
    azp: Option<String>,
}

impl std::fmt::Debug for OidcCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcCheck")
            .field("sender", &self.sender)
            .field("keys", &self.keys.keys.len())
            .field("audience", &self.validation.aud)
            .field("issuer", &self.validation.iss)
            .field("claims", &self.claims)
            .finish()
    }
}

impl OidcCheck {
    /// Pub/Sub push's OIDC token: signed by Google (`jwks`: the keys at
    /// <https://www.googleapis.com/oauth2/v3/certs>), issued by
    /// `accounts.google.com`, for `audience` (the push subscription's
    /// audience, by default its endpoint URL), not expired; and when `email`
    /// is given, for that service account, with `email_verified`.
    pub fn pubsub(jwks: &str, audience: &str, email: Option<String>) -> Result<Self, String> {
        Self::new(
            "Pub/Sub push",
            jwks,
            audience,
            &GOOGLE_ISSUERS,
            Expected::Google { email },
        )
    }

    /// Event Grid's Microsoft Entra ID token for a secured webhook: signed by
    /// Entra ID (`jwks`: the keys at
    /// `https://login.microsoftonline.com/<tenant>/discovery/v2.0/keys`),
    /// issued by `tenant` (v1 `https://sts.windows.net/<tenant>/` or v2
    /// `https://login.microsoftonline.com/<tenant>/v2.0`), for `audience`
    /// (the Entra application's ID URI or client ID the subscription names),
    /// to Event Grid's own application, not expired.
    pub fn eventgrid(jwks: &str, audience: &str, tenant: &str) -> Result<Self, String> {
        let issuers = [
            format!("https://sts.windows.net/{tenant}/"),
            format!("https://login.microsoftonline.com/{tenant}/v2.0"),
        ];
        Self::new("Event Grid", jwks, audience, &issuers, Expected::EventGrid)
    }

    fn new<I: ToString>(
        sender: &'static str,
        jwks: &str,
        audience: &str,
        issuers: &[I],
        claims: Expected,
    ) -> Result<Self, String> {
        let keys: JwkSet = serde_json::from_str(jwks)
            .map_err(|e| format!("not a JWKS (a JSON object with \"keys\"): {e}"))?;
        if keys.keys.is_empty() {
            return Err("the JWKS has no keys".to_owned());
        }
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[audience]);
        validation.set_issuer(issuers);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        Ok(Self {
            sender,
            keys: Arc::new(keys),
            validation,
            claims,
        })
    }

    /// Whether Event Grid's validation handshake must carry this token too:
    /// Event Grid sends it there as with every delivery.
    pub(super) fn guards_handshake(&self) -> bool {
        matches!(self.claims, Expected::EventGrid)
    }

    /// Who sends this kind of token: `Pub/Sub push`, `Event Grid`.
    pub fn sender(&self) -> &'static str {
        self.sender
    }

    /// Verifies `token` (a compact JWT): its RS256 signature by a key of the
    /// JWKS named by its `kid`, and its claims. The error says what is wrong,
    /// never what the token holds.
    pub fn verify(&self, token: &str) -> Result<(), String> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| "not a JWT".to_owned())?;
        if header.alg != Algorithm::RS256 {
            return Err(format!("signed with {:?}, not RS256", header.alg));
        }
        let jwk = match &header.kid {
            Some(kid) => self.keys.find(kid),
            None => None,
        }
        .ok_or("signed with a key the JWKS file does not have (refresh it?)")?;
        let key =
            DecodingKey::from_jwk(jwk).map_err(|_| "its key in the JWKS is not an RSA key")?;
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &self.validation)
            .map_err(|e| reason(e.kind()))?
            .claims;
        match &self.claims {
            Expected::Google { email: Some(email) } => {
                let verified = claims.email_verified == Some(true);
                if claims.email.as_deref() != Some(email.as_str()) || !verified {
                    return Err(format!("not issued to the service account {email}"));
                }
            }
            Expected::Google { email: None } => {}
            Expected::EventGrid => {
                let app = claims.appid.as_deref().or(claims.azp.as_deref());
                if app != Some(EVENT_GRID_APP_ID) {
                    return Err("not issued to Event Grid".to_owned());
                }
            }
        }
        Ok(())
    }
}

fn reason(kind: &jsonwebtoken::errors::ErrorKind) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match kind {
        ErrorKind::InvalidSignature => "its signature does not verify".to_owned(),
        ErrorKind::ExpiredSignature => "it has expired".to_owned(),
        ErrorKind::ImmatureSignature => "it is not valid yet".to_owned(),
        ErrorKind::InvalidAudience => "it is for another audience".to_owned(),
        ErrorKind::InvalidIssuer => "another issuer issued it".to_owned(),
        ErrorKind::MissingRequiredClaim(claim) => format!("it has no `{claim}` claim"),
        _ => "it is not a well-formed token".to_owned(),
    }
}

/// Whether `offered` (the bearer token a request carries) lets it in: the
/// shared `token`, or a token one of `checks` verifies; the error says why
/// not, naming what the endpoint takes.
pub(super) fn admit(
    offered: Option<&str>,
    token: Option<&str>,
    checks: &[OidcCheck],
) -> Result<(), String> {
    let takes = {
        let mut takes: Vec<String> = token.map(|_| "its token".to_owned()).into_iter().collect();
        takes.extend(
            checks
                .iter()
                .map(|c| format!("an OIDC token from {}", c.sender())),
        );
        takes.join(" or ")
    };
    let Some(offered) = offered else {
        return Err(format!(
            "this endpoint takes events with {takes}: Authorization: Bearer <token>"
        ));
    };
    if token.is_some_and(|token| same_secret(offered, token)) {
        return Ok(());
    }
    let mut why = Vec::new();
    for check in checks {
        match check.verify(offered) {
            Ok(()) => return Ok(()),
            Err(reason) => why.push(format!("read as a token from {}: {reason}", check.sender())),
        }
    }
    match why.is_empty() {
        true => Err(format!(
            "this endpoint takes events with {takes}: Authorization: Bearer <token>"
        )),
        false => Err(format!(
            "this endpoint takes events with {takes}; the bearer token is refused: {}",
            why.join("; ")
        )),
    }
}

/// Compares secrets in time that depends on their length only.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}
