use serde_json::json;

use super::{DAY, OP, START, act, code, host, submit};
use crate::{CLOSE_TIMER, Voting};

#[test]
fn a_submission_waits_for_a_moderator_and_schedules_the_close() {
    let mut host = host(json!({}));
    let out = act(
        &mut host,
        "ann",
        "submit",
        json!({"title": "  Latte art  ", "description": "A swan.\nIn milk.",
               "image_url": "https://img.example/swan.jpg"}),
    )
    .unwrap();
    assert_eq!(out.result, json!({"entry_id": "e1", "status": "pending"}));
    assert_eq!(out.events[0].kind, "entry.submitted");
    assert_eq!(out.events[0].subject, "e1");
    assert_eq!(
        host.pending_timers(),
        [(CLOSE_TIMER.to_owned(), START + 7 * DAY)]
    );

    let view = host.view::<Voting>("ann").unwrap();
    assert_eq!(
        view["my_entries"][0]["title"], "Latte art",
        "trimmed: {view}"
    );
    assert_eq!(view["my_entries"][0]["status"], "pending");
    assert_eq!(view["leaderboard"], json!([]), "not approved yet");
    assert!(
        view.get("review").is_none(),
        "only moderators see the queue"
    );
    let queue = host.view::<Voting>(OP).unwrap()["review"].clone();
    assert_eq!(queue["pending"], 1);
    assert_eq!(queue["queue"][0]["description"], "A swan.\nIn milk.");
}

#[test]
fn payloads_are_checked_field_by_field() {
    let mut host = host(json!({}));
    let long = "长".repeat(41);
    let bad = [
        json!({"title": " "}),
        json!({"title": long}),
        json!({"title": "a\tb"}),
        json!({"title": "ok", "description": "x".repeat(141)}),
        json!({"title": "ok", "image_url": "ftp://img.example/a.png"}),
        json!({"title": "ok", "image_url": "https://img.example/a b.png"}),
        json!({"title": "ok", "colour": "red"}),
        json!({}),
    ];
    for payload in bad {
        let e = act(&mut host, "ann", "submit", payload.clone()).unwrap_err();
        assert_eq!(e.code, "invalid_payload", "{payload}: {e:?}");
    }
    // Forty CJK characters are fine.
    let title = "长".repeat(40);
    assert_eq!(
        code(act(&mut host, "ann", "submit", json!({"title": title}))),
        "ok"
    );
}

#[test]
fn entries_per_user_and_max_entries_leave_rejected_ones_out() {
    let mut host = host(json!({"max_entries": 3}));
    let first = submit(&mut host, "ann", "one");
    let again = act(&mut host, "ann", "submit", json!({"title": "two"}));
    assert_eq!(code(again), "entry_limit_reached");
    // Rejected, the entry no longer counts: ann may try again.
    act(
        &mut host,
        OP,
        "reject",
        json!({"entry_id": first, "reason": "blurry"}),
    )
    .unwrap();
    assert_eq!(submit(&mut host, "ann", "two"), "e2");
    submit(&mut host, "bob", "three");
    submit(&mut host, "cat", "four");
    let full = act(&mut host, "dan", "submit", json!({"title": "five"}));
    assert_eq!(code(full), "contest_full");

    let view = host.view::<Voting>("ann").unwrap();
    let mine = view["my_entries"].as_array().unwrap();
    assert_eq!(mine.len(), 2);
    assert_eq!(
        (mine[0]["status"].as_str(), mine[0]["reason"].as_str()),
        (Some("rejected"), Some("blurry"))
    );

    let mut two = super::host(json!({"entries_per_user": 2}));
    submit(&mut two, "ann", "one");
    submit(&mut two, "ann", "two");
    assert_eq!(
        code(act(&mut two, "ann", "submit", json!({"title": "3"}))),
        "entry_limit_reached"
    );
}

#[test]
fn only_moderators_decide_and_only_once() {
    let mut host = host(json!({}));
    let id = submit(&mut host, "ann", "one");
    for action in ["approve", "reject"] {
        let r = act(&mut host, "ann", action, json!({"entry_id": id}));
        assert_eq!(code(r), "not_a_moderator", "{action}");
    }
    let r = act(&mut host, OP, "approve", json!({"entry_id": "e9"}));
    assert_eq!(code(r), "unknown_entry");
    let out = act(&mut host, OP, "approve", json!({"entry_id": id})).unwrap();
    assert_eq!(out.result["status"], "approved");
    assert_eq!(out.events[0].kind, "entry.approved");
    assert_eq!(out.events[0].data["title"], "one");
    for action in ["approve", "reject"] {
        let r = act(&mut host, OP, action, json!({"entry_id": id}));
        assert_eq!(code(r), "entry_not_pending", "{action}");
    }
    let rejected = submit(&mut host, "bob", "two");
    let out = act(&mut host, OP, "reject", json!({"entry_id": rejected})).unwrap();
    assert_eq!(out.events[0].kind, "entry.rejected");
    assert_eq!(host.view::<Voting>(OP).unwrap()["review"]["pending"], 0);
}

#[test]
fn submissions_close_before_voting_does() {
    let mut host = host(json!({"submissions_close_at_ms": START + DAY}));
    let id = submit(&mut host, "ann", "early");
    host.set_now_ms(START + DAY);
    let late = act(&mut host, "bob", "submit", json!({"title": "late"}));
    assert_eq!(code(late), "submissions_closed");
    // Moderation and voting go on.
    act(&mut host, OP, "approve", json!({"entry_id": id})).unwrap();
    assert_eq!(code(super::vote(&mut host, "bob", &id)), "ok");
    let view = host.view::<Voting>("bob").unwrap();
    assert_eq!(
        (
            view["submissions_open"].as_bool(),
            view["voting_open"].as_bool()
        ),
        (Some(false), Some(true))
    );
}

#[test]
fn an_approved_entry_is_shown_to_anyone_by_id_and_a_pending_one_only_to_insiders() {
    let mut host = host(json!({}));
    let shown = super::approved(&mut host, "alice", "Swan");
    let waiting = submit(&mut host, "bob", "Latte art");
    super::vote(&mut host, "carol", &shown).expect("voted");

    let public = host
        .view_with::<Voting>(None, &[("entry_id", &shown)])
        .unwrap();
    assert_eq!(public["title"], "Swan");
    assert_eq!(public["author"], "alice");
    assert_eq!(public["status"], "approved");
    assert_eq!(public["rank"], 1);
    assert_eq!(public["votes"], 1);
    assert_eq!(public["voting_open"], true);
    assert!(public.get("voted_today").is_none(), "{public}");
    let carol = host
        .view_with::<Voting>(Some("carol"), &[("entry_id", &shown)])
        .unwrap();
    assert_eq!(carol["voted_today"], true);

    // A pending entry does not exist for the public or another user...
    for viewer in [None, Some("carol")] {
        let hidden = host
            .view_with::<Voting>(viewer, &[("entry_id", &waiting)])
            .unwrap_err();
        assert_eq!(hidden.code, "unknown_entry");
    }
    // ...but its author and the moderators see it, unranked.
    for viewer in ["bob", OP] {
        let seen = host
            .view_with::<Voting>(Some(viewer), &[("entry_id", &waiting)])
            .unwrap();
        assert_eq!(seen["status"], "pending", "{viewer}");
        assert_eq!(seen["rank"], json!(null), "{viewer}");
    }
    let missing = host
        .view_with::<Voting>(None, &[("entry_id", "e99")])
        .unwrap_err();
    assert_eq!(missing.code, "unknown_entry");
    assert_eq!(missing.kind, arcade_sdk::ErrorKind::NotFound);
}
