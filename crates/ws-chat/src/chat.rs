//! The chat room: a map of connection ids to bounded channels, as in tokio's `chat.rs` example.
//!
//! Broadcast never waits: a member whose channel is full is too slow to keep up and is dropped
//! from the room (its connection then closes with 1008), so one stalled reader cannot hold
//! back everyone else or make the server buffer without bound.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::mpsc;

/// Lines waiting for one member before it counts as too slow.
pub const MEMBER_QUEUE: usize = 1024;

/// The members of the room.
#[derive(Debug, Default, Clone)]
pub struct Room {
    members: Arc<Mutex<HashMap<u64, mpsc::Sender<Arc<str>>>>>,
}

impl Room {
    /// Adds member `id` and returns its inbox and the number now in the room.
    pub fn join(&self, id: u64) -> (mpsc::Receiver<Arc<str>>, usize) {
        let (tx, rx) = mpsc::channel(MEMBER_QUEUE);
        let mut members = self.members.lock().unwrap_or_else(PoisonError::into_inner);
        members.insert(id, tx);
        (rx, members.len())
    }

    /// Removes member `id` and returns the number left.
    pub fn leave(&self, id: u64) -> usize {
        let mut members = self.members.lock().unwrap_or_else(PoisonError::into_inner);
        members.remove(&id);
        members.len()
    }

    /// Sends `line` to every member, dropping those that cannot take it.
    pub fn broadcast(&self, line: &str) {
        let line: Arc<str> = Arc::from(line);
        let mut members = self.members.lock().unwrap_or_else(PoisonError::into_inner);
        members.retain(|_, tx| tx.try_send(Arc::clone(&line)).is_ok());
    }
}
