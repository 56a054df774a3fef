//! Speed limits: a token bucket that every transfer in one direction shares.

use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
pub struct RateLimiter {
    bytes_per_sec: u64,
    /// When tokens were last added, and how many there are (negative: owed).
    state: tokio::sync::Mutex<(Instant, f64)>,
}

impl RateLimiter {
    pub fn new(bytes_per_sec: u64) -> Self {
        Self {
            bytes_per_sec: bytes_per_sec.max(1),
            state: tokio::sync::Mutex::new((Instant::now(), 0.0)),
        }
    }

    pub fn bytes_per_sec(&self) -> u64 {
        self.bytes_per_sec
    }

    /// Accounts for `bytes` just moved, sleeping as long as the limit requires. Bursts are
    /// capped at a quarter second's worth, so an idle moment does not allow a flood later.
    pub async fn consume(&self, bytes: usize) {
        let rate = self.bytes_per_sec as f64;
        let wait = {
            let mut state = self.state.lock().await;
            let now = Instant::now();
            let refill = now.duration_since(state.0).as_secs_f64() * rate;
            state.0 = now;
            state.1 = (state.1 + refill).min(rate / 4.0) - bytes as f64;
            if state.1 < 0.0 { -state.1 / rate } else { 0.0 }
        };
        if wait > 0.0 {
            tokio::time::sleep(Duration::from_secs_f64(wait)).await;
        }
    }
}

/// curl's rate syntax: bytes per second, with `K`, `M` or `G` (powers of 1024): `500K`, `20M`.
pub fn parse_rate(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = match text
        .char_indices()
        .find(|(_, c)| !c.is_ascii_digit() && *c != '.')
    {
        Some((at, _)) => text.split_at(at),
        None => (text, ""),
    };
    let value: f64 = digits
        .parse()
        .map_err(|_| format!("invalid rate {text:?}: use bytes per second, e.g. 500K or 20M"))?;
    let multiplier = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1.0,
        "K" | "KB" => 1024.0,
        "M" | "MB" => 1024.0 * 1024.0,
        "G" | "GB" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(format!("invalid rate unit in {text:?}: use K, M or G")),
    };
    let rate = (value * multiplier).round();
    if !(1.0..=1e15).contains(&rate) {
        return Err(format!("rate {text:?} is out of range"));
    }
    Ok(rate as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_style_rates() {
        assert_eq!(parse_rate("500K").unwrap(), 512_000);
        assert_eq!(parse_rate("20M").unwrap(), 20 * 1024 * 1024);
        assert_eq!(parse_rate("1.5k").unwrap(), 1536);
        assert_eq!(parse_rate("4096").unwrap(), 4096);
        assert!(parse_rate("fast").is_err());
        assert!(parse_rate("10X").is_err());
        assert!(parse_rate("0").is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn the_limit_paces_the_bytes() {
        let limiter = RateLimiter::new(100_000);
        let start = Instant::now();
        for _ in 0..10 {
            limiter.consume(50_000).await;
        }
        // 500,000 bytes at 100,000/s, less the quarter-second burst: about 4.75 s of
        // (virtual) time. The clock is tokio's paused test clock, not the wall clock.
        let elapsed = start.elapsed().as_secs_f64();
        assert!((4.7..5.1).contains(&elapsed), "{elapsed}");
    }
}
