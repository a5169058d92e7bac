//! `BatchStream`, the bidirectional stream behind the Python client's server-side batching
//! (`batch.stream()`), as v1.38.11 answers it (recorded with raw grpcio calls):
//! * credentials first, as for every streaming call (`UNAUTHENTICATED` with the bare message);
//! * the first message must be `start` (else `UNKNOWN first message must be a start message`, or
//!   `initial stream message receive: EOF` when the client sends nothing); the answer is `started`;
//! * each `data` with objects gets `acks` (the uuids, in order) and then `results`: one error per
//!   refused object (the texts of `BatchObjects`) and the successes; a `data` without objects or
//!   references gets nothing;
//! * `stop`, or the end of the client's side, ends the stream with `OK`; another `start` ends it
//!   with `UNKNOWN invalid batch send request: data field is nil`.
//!
//! v1.38.11 lists as successes the *last* `n - e` uuids of a batch of `n` objects with `e`
//! errors, whichever those are (a batch `[ok, refused, ok]` reports the second and third as
//! successes, the second also as an error); the emulation reports the same.
//!
//! References are acknowledged and refused one by one: the store keeps no references.

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::mpsc;
use tokio_stream::Stream;
use tonic::{Status, Streaming};

use super::proto::weaviate::batch_stream_reply::{self, results, Acks, Results, Started};
use super::proto::weaviate::batch_stream_request::{self, Data};
use super::proto::weaviate::{BatchStreamReply, BatchStreamRequest};
use super::values::batch_properties;
use crate::error::Error;
use crate::objects::Objects;
use crate::principal::Principal;
use crate::server::AppState;

/// How many answers may wait for a slow client before the stream stops reading.
const QUEUE: usize = 16;

/// The replies of one stream, fed by the task that reads the client's messages.
pub(super) struct Replies(mpsc::Receiver<Result<BatchStreamReply, Status>>);

impl Stream for Replies {
    type Item = Result<BatchStreamReply, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

fn reply(message: batch_stream_reply::Message) -> BatchStreamReply {
    BatchStreamReply { message: Some(message) }
}

/// Reads the first message (which must be `start`), then serves the rest of the stream in a
/// task of its own; the caller was authenticated already.
pub(super) async fn serve(
    state: AppState,
    principal: Option<Principal>,
    mut incoming: Streaming<BatchStreamRequest>,
) -> Result<Replies, Status> {
    match incoming.message().await? {
        None => return Err(Error::StreamNeverStarted.into()),
        Some(BatchStreamRequest {
            message: Some(batch_stream_request::Message::Start(_)),
        }) => {}
        Some(_) => return Err(Error::StreamNotStarted.into()),
    }
    let (tx, rx) = mpsc::channel(QUEUE);
    tokio::spawn(async move {
        if tx.send(Ok(reply(batch_stream_reply::Message::Started(Started {})))).await.is_err() {
            return;
        }
        loop {
            let next = match incoming.message().await {
                Ok(Some(message)) => message.message,
                // The client closed its side, or the connection broke: the stream ends.
                Ok(None) | Err(_) => return,
            };
            let answers = match next {
                Some(batch_stream_request::Message::Data(data)) => batch(&state, principal.as_ref(), data),
                Some(batch_stream_request::Message::Stop(_)) => return,
                Some(batch_stream_request::Message::Start(_)) | None => vec![Err(Error::StreamDataMissing.into())],
            };
            for answer in answers {
                let failed = answer.is_err();
                if tx.send(answer).await.is_err() || failed {
                    return;
                }
            }
        }
    });
    Ok(Replies(rx))
}

/// The answers to one `data` message: `acks` and `results` for objects, the same for references.
fn batch(state: &AppState, principal: Option<&Principal>, data: Data) -> Vec<Result<BatchStreamReply, Status>> {
    let mut out = Vec::new();
    let objects = data.objects.map(|o| o.values).unwrap_or_default();
    if !objects.is_empty() {
        let uuids: Vec<String> = objects.iter().map(|o| o.uuid.clone()).collect();
        out.push(Ok(reply(batch_stream_reply::Message::Acks(Acks {
            uuids: uuids.clone(),
            beacons: Vec::new(),
        }))));
        let rules = Objects::new(state.store(), state.authorizer().caller(principal));
        let errors: Vec<results::Error> = objects
            .into_iter()
            .filter_map(|o| {
                let stored =
                    parse_uuid(&o.uuid).and_then(|()| rules.batch_put(&o.collection, &o.uuid, batch_properties(o.properties.as_ref())));
                stored.err().map(|e| results::Error {
                    error: e.to_string(),
                    detail: Some(results::error::Detail::Uuid(o.uuid)),
                })
            })
            .collect();
        // Recorded on v1.38.11: the last `n - e` uuids are reported as successes.
        let successes = uuids[errors.len()..]
            .iter()
            .map(|uuid| results::Success {
                detail: Some(results::success::Detail::Uuid(uuid.clone())),
            })
            .collect();
        out.push(Ok(reply(batch_stream_reply::Message::Results(Results { errors, successes }))));
    }
    let references = data.references.map(|r| r.values).unwrap_or_default();
    if !references.is_empty() {
        let beacons: Vec<String> = references
            .iter()
            .map(|r| format!("weaviate://localhost/{}/{}/{}", r.from_collection, r.from_uuid, r.name))
            .collect();
        out.push(Ok(reply(batch_stream_reply::Message::Acks(Acks {
            uuids: Vec::new(),
            beacons: beacons.clone(),
        }))));
        let errors = beacons
            .into_iter()
            .map(|beacon| results::Error {
                error: Error::NotEmulated("BatchStream references").to_string(),
                detail: Some(results::error::Detail::Beacon(beacon)),
            })
            .collect();
        out.push(Ok(reply(batch_stream_reply::Message::Results(Results {
            errors,
            successes: Vec::new(),
        }))));
    }
    out
}

/// Go's `uuid.Parse`: 36 characters (or 32, 38 with braces, 45 as a URN), else its length error.
fn parse_uuid(text: &str) -> Result<(), Error> {
    match text.len() {
        32 | 36 | 38 | 45 => uuid::Uuid::parse_str(text).map(|_| ()).map_err(|_| Error::InvalidUuidFormat),
        n => Err(Error::InvalidUuidLength(n)),
    }
}
