//! The fault run: the real `ceh lambda` under the runtime-API emulator, fed by
//! an SQS queue and a Kinesis shard played as Lambda's event source mappings
//! run them (tests/it/e2e/esm), in front of an app that fails at random
//! (tests/apps/faulty_app.py: 500, 404, hangs past `CEH_APP_TIMEOUT_MS`, dies
//! and is started again on its port), with the execution environment frozen
//! and thawed between invocations past the app's keep-alive, as Lambda does
//! ("Understanding the Lambda execution environment lifecycle",
//! <https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html>).
//!
//! Every message is counted: the run fails unless each one was acknowledged
//! after the app's 2xx or dead-lettered. The short run goes in every `cargo
//! test`; `CEH_FAULT_RUN_MESSAGES=10000 cargo test --test it faultrun -- --nocapture`
//! is the full one, `CEH_FAULT_RUN_SEED` another seed.

use std::collections::HashMap;
use std::time::Instant;

use super::esm::rig::Rig;
use super::esm::{sqs, stream, Tally};

/// The short run's size: 60% through the queue, 40% through the shard.
const DEFAULT_MESSAGES: usize = 1000;
/// The seed when `CEH_FAULT_RUN_SEED` is not set.
const DEFAULT_SEED: u64 = 29;
/// The chance of a freeze before an invocation.
const FREEZE_RATE: f64 = 0.04;

/// What a run counted, per mapping.
struct Run {
    sqs: Tally,
    sqs_answers: HashMap<String, u32>,
    stream: Tally,
    stream_answers: HashMap<String, u32>,
}

/// Drives `sqs_messages` through the queue, then `stream_records` through the shard.
fn run(rig: &mut Rig, sqs_messages: usize, stream_records: usize, seed: u64) -> Run {
    let mut sqs = Tally::default();
    let settings = sqs::Settings {
        batch_size: 10,
        visibility_timeout: 30,
        max_receive_count: 3,
    };
    let mut queue = sqs::Queue::new(settings, sqs_messages, seed, &mut sqs);
    while let Some(batch) = queue.receive(&mut sqs) {
        let (verdict, answered) = rig.invoke(&batch.event, &queue.ids(&batch));
        queue.settle(&batch, &verdict, &answered, &mut sqs);
    }
    let sqs_answers = rig.app.take_answers();

    let mut stream = Tally::default();
    let settings = stream::Settings {
        batch_size: 20,
        maximum_retry_attempts: 2,
    };
    let mut shard = stream::Shard::new(settings, stream_records, &mut stream);
    while let Some(batch) = shard.read(&mut stream) {
        let (verdict, answered) = rig.invoke(&batch.event, &shard.ids(&batch));
        shard.settle(&batch, &verdict, &answered, &mut stream);
    }
    let stream_answers = rig.app.take_answers();
    Run {
        sqs,
        sqs_answers,
        stream,
        stream_answers,
    }
}

/// A number from the environment, `default` when it is not set.
fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).map_or(default, |v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number"))
    })
}

#[test]
fn sqs_and_stream_lose_nothing() {
    let messages = setting("CEH_FAULT_RUN_MESSAGES", DEFAULT_MESSAGES as u64) as usize;
    let seed = setting("CEH_FAULT_RUN_SEED", DEFAULT_SEED);
    println!(
        "fault run: seed {seed} (CEH_FAULT_RUN_SEED), {messages} messages (CEH_FAULT_RUN_MESSAGES)"
    );
    let started = Instant::now();
    // The default delivery contract: any answer outside 2xx fails the record.
    let config = "[reply]\nreport_item_failures = true\n";
    let mut rig = Rig::start(seed, config, FREEZE_RATE);
    let sqs_messages = messages * 3 / 5;
    let run = run(&mut rig, sqs_messages, messages - sqs_messages, seed);

    let mut total = Tally::default();
    total.add(&run.sqs);
    total.add(&run.stream);
    let mut answers = run.sqs_answers.clone();
    answers.extend(run.stream_answers.clone());
    println!("fault run, SQS: {}", run.sqs.line(&run.sqs_answers));
    println!(
        "fault run, Kinesis: {}",
        run.stream.line(&run.stream_answers)
    );
    println!(
        "fault run: {} invocations in {:.0?}, {} freezes (after a thaw {} of {} records failed), {} restarts of the app; records that failed before reaching it: {} ({} after a thaw)",
        rig.invocations,
        started.elapsed(),
        rig.freezes,
        rig.after_thaw.1,
        rig.after_thaw.0,
        rig.restarts,
        rig.unsent.0,
        rig.unsent.1
    );
    println!("fault run: {}", total.line(&answers));
    assert!(
        matches!(rig.ceh.0.try_wait(), Ok(None)),
        "ceh stopped during the run"
    );
    assert!(
        total.acknowledged_unanswered.is_empty(),
        "acknowledged without the app's 2xx: {:?}",
        &total.acknowledged_unanswered[..total.acknowledged_unanswered.len().min(10)]
    );
    assert_eq!(total.lost(), 0);
    assert_eq!(total.sent, total.acknowledged + total.dead_lettered);
}

#[test]
fn the_ledger_counts_an_acknowledged_404_as_lost() {
    // The rig's own check: with failure_status loosened to 5xx, ceh
    // acknowledges the app's 404s, and the run must see each as lost.
    let config = "[reply]\nreport_item_failures = true\nfailure_status = [\"5xx\"]\n";
    let mut rig = Rig::start(DEFAULT_SEED, config, 0.0);
    let run = run(&mut rig, 200, 100, DEFAULT_SEED);
    for (tally, answers) in [
        (&run.sqs, &run.sqs_answers),
        (&run.stream, &run.stream_answers),
    ] {
        println!("fault run, failure_status 5xx: {}", tally.line(answers));
        assert!(
            !tally.acknowledged_unanswered.is_empty(),
            "{}",
            tally.line(answers)
        );
        assert!(tally.sent > tally.acknowledged + tally.dead_lettered);
    }
}
