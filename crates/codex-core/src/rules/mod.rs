//! Pure rules (CONTRACT.md section 5): inputs in, decisions out, `now` passed in.
//!
//! Nothing here talks to GitHub or reads the clock. The components (issue plans, activity,
//! health) are built from these functions and tested through them.

mod activity;
pub mod integrity;
mod tracks;

pub use activity::{ActivityStatus, classify_activity, days_inactive};
pub use integrity::{FindingGroup, FindingKind};
pub use tracks::{
    LABEL_CODEX, LABEL_SELFTEST, LABEL_TRACK_DASHBOARD, LABEL_TRACK_MAIN, PerTrack, Track,
    TrackDecision, decide_track, is_managed, is_selftest, missing_labels, title_track,
};
