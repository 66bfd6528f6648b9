//! Background work, run exactly once across nodes through the job queue of
//! [`crate::coordination::Coordination`]: every node offers the periodic jobs (the queue keeps
//! one live copy of each) and claims whatever is due; a claim is exclusive until its lease ends.

use std::time::Duration;

use crate::coordination::Job;
use crate::error::CoreResult;
use crate::hub::Hub;

/// Finishes or drops commit intents left by a writer that died (on any node).
pub const RECOVER_COMMIT_INTENTS: &str = "recover-commit-intents";

const KINDS: &[&str] = &[RECOVER_COMMIT_INTENTS, crate::scan::SCAN_COMMIT];
/// Longer than any job takes; a job whose worker died is retried after it.
const LEASE_SECONDS: i64 = 300;
/// The first retry waits this long, each next one twice as long (30 s, 1, 2, 4, 8 min, ...).
const RETRY_SECONDS: i64 = 30;
const MAX_ATTEMPTS: i32 = 8;

/// When a job that failed its `attempts`-th time runs again, if it does.
fn retry_at(attempts: i32, now: i64) -> Option<i64> {
    (attempts < MAX_ATTEMPTS).then(|| now + RETRY_SECONDS * (1_i64 << (attempts.clamp(1, 16) - 1)))
}

impl Hub {
    /// Queues the periodic jobs (a no-op for those already queued by any node).
    pub async fn schedule_periodic_jobs(&self, now: i64) -> CoreResult<()> {
        self.meta.enqueue_job(RECOVER_COMMIT_INTENTS, "{}", Some("periodic"), now).await?;
        Ok(())
    }

    /// Claims and runs due jobs until none is left; returns how many ran.
    pub async fn run_due_jobs(&self, worker: &str) -> CoreResult<usize> {
        let mut ran = 0;
        while let Some(job) = self.meta.claim_job(KINDS, worker, stoa_types::time::now_unix(), LEASE_SECONDS).await? {
            match self.run_job(&job).await {
                Ok(()) => {
                    self.meta.finish_job(job.id, worker).await?;
                }
                Err(error) => {
                    tracing::warn!(job.id = job.id, job.kind = %job.kind, error = %error, "job failed");
                    let retry = retry_at(job.attempts, stoa_types::time::now_unix());
                    self.meta.fail_job(job.id, worker, &error.to_string(), retry).await?;
                }
            }
            ran += 1;
        }
        Ok(ran)
    }

    async fn run_job(&self, job: &Job) -> CoreResult<()> {
        match job.kind.as_str() {
            RECOVER_COMMIT_INTENTS => {
                let applied = self.recover_commit_intents().await?;
                if applied > 0 {
                    tracing::info!(commits = applied, "finished commits interrupted on some node");
                }
                Ok(())
            }
            crate::scan::SCAN_COMMIT => self.run_scan_job(&job.payload).await,
            other => Err(crate::CoreError::Internal(format!("unknown job kind '{other}'"))),
        }
    }

    /// The worker loop of one node: schedule, then drain, every `every`, until `shutdown`.
    pub async fn run_background_jobs(
        &self,
        worker: String,
        every: Duration,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut shutdown = shutdown;
        loop {
            let round = async {
                self.schedule_periodic_jobs(stoa_types::time::now_unix()).await?;
                self.run_due_jobs(&worker).await
            };
            if let Err(error) = round.await {
                tracing::warn!(error = %error, "background jobs round failed");
            }
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = self.jobs_queued.notified() => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_then_stop() {
        assert_eq!(retry_at(1, 0), Some(30));
        assert_eq!(retry_at(2, 0), Some(60));
        assert_eq!(retry_at(5, 0), Some(480));
        assert_eq!(retry_at(MAX_ATTEMPTS, 0), None);
    }
}
