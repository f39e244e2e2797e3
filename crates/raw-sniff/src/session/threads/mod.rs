//! A live capture read by several threads (`--threads N`): N `AF_PACKET` sockets on the same
//! interface, each with its own TPACKET_V3 ring, joined in one `PACKET_FANOUT` hash group so
//! that the kernel hands each frame to exactly one of them, and both directions of a
//! conversation to the same one (see `capture/afpacket/fanout.rs`).
//!
//! Each thread owns everything its packets touch: its socket, filter, `-w` file (`FILE.0`,
//! `FILE.1`, …), TCP reassembly and WebSocket tracker, and counts ([`worker`]). Threads share
//! only two counters (the packet numbers, one of them `-c`'s total), a stop flag, and the
//! channel to the thread that merges what they print into time order and writes it to stdout
//! ([`merge`]).
//!
//! The first thread's socket is the session's own source, read on the caller's thread; the
//! others are read on threads of their own, and the merge on one more.

mod merge;
mod worker;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use super::config::{Live, Output, Source};
use super::saver::Saver;
use super::ws_stage::WsStage;
use super::{open, stdout, Config, Finished, Session, SessionError};
use crate::capture::afpacket::{link_type_for, AfPacket, Fanout, Options};
use crate::capture::{Capture, Stats};
use crate::filter::Program;
use crate::note::Note;
use crate::summary::{Counts, Summary, ThreadShare};
use crate::user_filter::FilterError;
use worker::{Worker, WorkerEnd};

/// What the session keeps for the threads beyond the first between opening and running.
pub(super) struct Group {
    /// The sockets of threads 1, 2, …; thread 0 reads the session's source.
    members: Vec<AfPacket>,
    /// Each thread's `-w` file, thread 0's first.
    savers: Vec<Option<Saver>>,
}

/// What the threads share besides the merge channel.
pub(super) struct Shared {
    /// Packets kept so far by all threads: each takes its packet's number from here.
    matched: AtomicU64,
    /// Frames read so far by all threads, matched or not.
    seen: AtomicU64,
    /// Set when every thread must stop at once, without reading what is in flight: `-c` was
    /// reached, or a thread failed.
    halt: AtomicBool,
}

/// Opens `config.threads` sockets in one fanout group, drops privileges, and creates each
/// thread's `-w` file: everything that can fail before the first packet, as
/// [`Session::open`] does for one socket.
pub(super) fn open(config: Config, on_note: &mut dyn FnMut(Note)) -> Result<Session, SessionError> {
    let Source::Interface(live) = &config.source else {
        unreachable!("Session::open sends only interface captures here");
    };
    let threads = live.threads;
    let iface = live.iface.clone().unwrap_or_else(|| "any".to_owned());
    let program = kernel_program(&iface, &config)?;
    let options = |fanout| options(live, &iface, fanout);
    let mut first = AfPacket::open(&options(Fanout::Create { members: threads }), on_note)?;
    let id = first
        .fanout_group()
        .expect("a socket opened to create a group is in it");
    // The others say the same as the first (the same ring, the same fallbacks): once is enough.
    let mut members = (1..threads)
        .map(|_| AfPacket::open(&options(Fanout::Join(id)), &mut |_| {}))
        .collect::<Result<Vec<_>, _>>()?;
    // Every socket is in the group: from now on each frame goes to exactly one of them.
    first.open_gate(socket_filter(&program).as_deref(), on_note)?;
    for member in &mut members {
        member.open_gate(socket_filter(&program).as_deref(), &mut |_| {})?;
    }
    if let Some(user) = &config.user {
        crate::capture::privileges::drop_to(user).map_err(|source| {
            SessionError::DropPrivileges {
                user: user.clone(),
                source,
            }
        })?;
    }
    let filter = match &config.filter {
        // Fail now, not at the first packet, if the filter cannot run here.
        Some(expr) if !first.filters_in_kernel() => Some(worker::user_filter(expr, &first)?),
        _ => None,
    };
    let savers = (0..threads)
        .map(|n| match &config.write {
            Some(path) => Saver::create(
                &thread_file(path, n),
                &config.save,
                open::interface_name(&config.source),
            )
            .map(Some),
            None => Ok(None),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let quiet = matches!(config.output, Output::Quiet | Output::Count);
    Ok(Session {
        // Thread 0 prints through its own printer, into the merge; this one stays unused.
        printer: stdout::printer_for(Output::Quiet, false, config.line, false, config.time),
        ws: WsStage::new(&config.ws, quiet, config.output.never_shortens()),
        graph: None,
        config,
        source: Box::new(first),
        filter,
        saver: None,
        counts: Counts::default(),
        threads: Some(Group { members, savers }),
    })
}

/// The name of thread `n`'s `-w` file: `FILE.n`.
pub fn thread_file(path: &Path, n: usize) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

/// One socket of the group: as the single-socket capture opens it, with no filter (the gate
/// keeps everything out until the group is whole, and the filter comes with it opening).
fn options(live: &Live, iface: &str, fanout: Fanout) -> Options {
    Options {
        iface: iface.to_owned(),
        promisc: live.promisc,
        buffer: live.buffer,
        ring: live.ring,
        filter: None,
        link: live.link,
        direction: live.direction,
        fanout: Some(fanout),
    }
}

/// The capture filter compiled for the sockets, as the single-socket capture compiles it.
fn kernel_program(iface: &str, config: &Config) -> Result<Option<Program>, SessionError> {
    let Some(expr) = &config.filter else {
        return Ok(None);
    };
    let program = if link_type_for(iface)? == wire::LinkType::Ethernet {
        crate::filter::compile_for_packet_socket_any_length(expr)
    } else {
        crate::filter::compile_for_cooked_socket_any_length(expr)
    };
    Ok(Some(program.map_err(FilterError::Compile)?))
}

/// `program` in the form a socket takes it (one copy per socket: the kernel keeps its own).
fn socket_filter(program: &Option<Program>) -> Option<Vec<socket2::SockFilter>> {
    program.as_ref().map(|p| {
        p.instructions()
            .iter()
            .map(|i| socket2::SockFilter::new(i.code, i.jt, i.jf, i.k))
            .collect()
    })
}

/// Runs every thread until the stop, `-c` or `--duration`, then gathers their counts into
/// one summary (kernel counts added up over the sockets, each thread's share beside them).
pub(super) fn run(
    mut session: Session,
    group: Group,
    stop: &AtomicBool,
    on_note: &mut dyn FnMut(Note),
) -> Finished {
    let config = &session.config;
    let deadline = config.duration.map(|d| Instant::now() + d);
    let shared = Shared {
        matched: AtomicU64::new(0),
        seen: AtomicU64::new(0),
        halt: AtomicBool::new(false),
    };
    let printing = !matches!(config.output, Output::Quiet | Output::Count);
    let threads = group.members.len() + 1;
    let (to_merge, merged) = mpsc::sync_channel(merge::CHANNEL_BATCHES * threads);
    let mut savers = group.savers.into_iter();
    let first_saver = savers.next().flatten();
    let first_filter = session.filter.take();
    let source: &mut dyn Capture = session.source.as_mut();
    let mut not_started = None;
    let (ends, merge_result) = std::thread::scope(|scope| {
        let shared = &shared;
        // Named, so `top -H` and /proc/PID/task tell the merge from the capture threads.
        let merger = match printing.then(|| {
            std::thread::Builder::new()
                .name("merge".to_owned())
                .spawn_scoped(scope, move || {
                    let result = merge::run(merged, threads, config.line_buffered);
                    if result.is_err() {
                        // Nobody reads what the threads print any more (a closed pipe): stop.
                        shared.halt.store(true, Ordering::Relaxed);
                    }
                    result
                })
        }) {
            Some(Err(err)) => {
                not_started = Some(err);
                None
            }
            Some(Ok(merger)) => Some(merger),
            None => None,
        };
        let mut handles = Vec::new();
        for (n, (member, saver)) in group.members.into_iter().zip(savers).enumerate() {
            let to_merge = printing.then(|| to_merge.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("capture-{}", n + 1))
                .spawn_scoped(scope, move || {
                    let mut source = member;
                    Worker::new(n + 1, config, shared, saver, None, to_merge).run(
                        &mut source,
                        stop,
                        deadline,
                    )
                });
            match spawned {
                Ok(handle) => handles.push(handle),
                Err(err) => {
                    not_started = Some(err);
                    break;
                }
            }
        }
        if not_started.is_some() {
            // A socket without its thread, or output without its merge: stop at once.
            shared.halt.store(true, Ordering::Relaxed);
        }
        let to_merge = printing.then_some(to_merge);
        let first = Worker::new(0, config, shared, first_saver, first_filter, to_merge)
            .run(source, stop, deadline);
        let mut ends = vec![first];
        ends.extend(
            handles
                .into_iter()
                .map(|h| h.join().expect("a capture thread panicked")),
        );
        let merge_result = merger.map(|m| m.join().expect("the merging thread panicked"));
        (ends, merge_result)
    });
    let mut finished = summarise(session, ends, merge_result, on_note);
    if let Some(err) = not_started {
        finished.result = Err(SessionError::Thread(err));
    }
    finished
}

/// The capture's summary and outcome from each thread's end and the merge's.
fn summarise(
    session: Session,
    ends: Vec<WorkerEnd>,
    merge_result: Option<std::io::Result<()>>,
    on_note: &mut dyn FnMut(Note),
) -> Finished {
    let mut counts = Counts::default();
    let mut kernel = Stats::default();
    let mut shares = Vec::new();
    let mut result = Ok(());
    for end in ends {
        counts.add(&end.counts);
        for (sum, one) in [
            (&mut kernel.kernel_received, end.kernel.kernel_received),
            (&mut kernel.kernel_dropped, end.kernel.kernel_dropped),
        ] {
            if let Some(one) = one {
                *sum.get_or_insert(0) += one;
            }
        }
        shares.push(ThreadShare {
            matched: end.counts.matched,
            kernel: end.kernel,
        });
        for note in end.notes {
            on_note(note);
        }
        if result.is_ok() {
            result = end.result;
        }
    }
    if let Some(Err(err)) = merge_result {
        // The printing error is what cut the threads short, whatever they say about it.
        result = Err(SessionError::Output(err));
    }
    if result.is_ok() && session.config.output == Output::Count {
        result = stdout::print_count(counts.matched);
    }
    // Every thread's file was made when the capture opened, whether or not it ran.
    let threads = match &session.config.source {
        Source::Interface(live) => live.threads,
        _ => shares.len(),
    };
    Finished {
        summary: Summary {
            kernel,
            counts,
            written_to: session.config.write.as_ref().map(|path| {
                let last = thread_file(path, threads.saturating_sub(1));
                PathBuf::from(format!(
                    "{} … {}",
                    thread_file(path, 0).display(),
                    last.display()
                ))
            }),
            threads: shares,
        },
        result,
    }
}
