"""Schema migrations, recorded in the database itself (sqlite-utils `Migrations`).

APPEND-ONLY: never edit, rename or reorder a migration once it has shipped; add a new one.
A database that has applied a migration this code does not know was written by a newer
Quartier, and we refuse to start on it rather than guess.
"""

from __future__ import annotations

import sqlite3

import sqlite_utils
from sqlite_utils.migrations import Migrations

from node.storage.database import DatabaseError

MIGRATION_SET = "quartier"
migrations = Migrations(MIGRATION_SET)


@migrations(name="0001_foundation")
def _foundation(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE neighbourhoods (
            id INTEGER PRIMARY KEY,
            slug TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );

        -- One row per address in the municipal register: a household.
        CREATE TABLE households (
            id INTEGER PRIMARY KEY,
            neighbourhood_id INTEGER NOT NULL REFERENCES neighbourhoods(id),
            street TEXT NOT NULL,
            number TEXT NOT NULL,
            box TEXT NOT NULL DEFAULT '',
            postcode TEXT NOT NULL,
            municipality TEXT NOT NULL,
            -- normalised street|number|box|postcode: a re-import updates, never duplicates
            address_key TEXT NOT NULL UNIQUE,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX households_by_neighbourhood ON households(neighbourhood_id, street, number);

        CREATE TABLE invitations (
            id INTEGER PRIMARY KEY,
            household_id INTEGER NOT NULL REFERENCES households(id) ON DELETE CASCADE,
            code TEXT NOT NULL UNIQUE,
            created_at INTEGER NOT NULL,
            revoked_at INTEGER
        );
        CREATE UNIQUE INDEX invitations_one_active_per_household
            ON invitations(household_id) WHERE revoked_at IS NULL;

        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL UNIQUE COLLATE NOCASE,
            display_name TEXT NOT NULL,
            password_hash TEXT NOT NULL DEFAULT '',
            role TEXT NOT NULL
                CHECK (role IN ('admin', 'city_staff', 'moderator', 'resident')),
            status TEXT NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'pending', 'suspended', 'declined')),
            neighbourhood_id INTEGER REFERENCES neighbourhoods(id),
            household_id INTEGER REFERENCES households(id),
            locale TEXT,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX users_by_neighbourhood ON users(neighbourhood_id, status);
        CREATE INDEX users_by_household ON users(household_id);

        -- A resident without an invitation code asks to join; a moderator decides.
        CREATE TABLE join_requests (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
            neighbourhood_id INTEGER NOT NULL REFERENCES neighbourhoods(id),
            address TEXT NOT NULL,
            message TEXT NOT NULL DEFAULT '',
            created_at INTEGER NOT NULL,
            decided_at INTEGER,
            decided_by INTEGER REFERENCES users(id),
            decision TEXT CHECK (decision IN ('approved', 'declined'))
        );
        CREATE INDEX join_requests_open ON join_requests(neighbourhood_id) WHERE decided_at IS NULL;

        -- Only hashes of secrets are stored: a copy of the database opens no session.
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL
        );

        CREATE TABLE api_tokens (
            id INTEGER PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            last_used_at INTEGER,
            revoked_at INTEGER
        );

        CREATE TABLE one_time_links (
            id INTEGER PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            purpose TEXT NOT NULL CHECK (purpose IN ('setup', 'reset')),
            user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            used_at INTEGER
        );
        """
    )


@migrations(name="0002_neighbourhood_life")
def _neighbourhood_life(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        -- Neighbourhoods whose residents may see posts shared "with nearby neighbourhoods".
        -- Stored both ways round (a, b) and (b, a) so a lookup needs one index.
        CREATE TABLE neighbourhood_adjacency (
            neighbourhood_id INTEGER NOT NULL REFERENCES neighbourhoods(id) ON DELETE CASCADE,
            adjacent_id INTEGER NOT NULL REFERENCES neighbourhoods(id) ON DELETE CASCADE,
            PRIMARY KEY (neighbourhood_id, adjacent_id)
        ) WITHOUT ROWID;

        CREATE TABLE house_rules (
            neighbourhood_id INTEGER PRIMARY KEY REFERENCES neighbourhoods(id) ON DELETE CASCADE,
            body TEXT NOT NULL DEFAULT '',
            updated_at INTEGER NOT NULL,
            updated_by INTEGER REFERENCES users(id) ON DELETE SET NULL
        );

        CREATE TABLE posts (
            id INTEGER PRIMARY KEY,
            neighbourhood_id INTEGER NOT NULL REFERENCES neighbourhoods(id),
            -- NULL once the author deleted their account and chose to keep posts anonymised
            author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
            category TEXT NOT NULL CHECK (category IN
                ('help_request', 'offer', 'event', 'tip', 'lost_found', 'public_space',
                 'general')),
            offer_kind TEXT CHECK (offer_kind IN ('lend', 'give', 'sell')),
            title TEXT NOT NULL,
            body TEXT NOT NULL DEFAULT '',
            body_html TEXT NOT NULL DEFAULT '',   -- sanitised rendering, made once at write
            shared_with_adjacent INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'visible'
                CHECK (status IN ('visible', 'hidden', 'deleted')),
            resolved_at INTEGER,
            resolved_helper_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
            -- counters kept with each write, so a feed page needs no aggregation
            comment_count INTEGER NOT NULL DEFAULT 0,
            thanks_count INTEGER NOT NULL DEFAULT 0,
            like_count INTEGER NOT NULL DEFAULT 0,
            support_count INTEGER NOT NULL DEFAULT 0,
            view_count INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            edited_at INTEGER
        );
        CREATE INDEX posts_feed ON posts(neighbourhood_id, status, id DESC);
        CREATE INDEX posts_feed_by_category ON posts(neighbourhood_id, category, status, id DESC);
        CREATE INDEX posts_shared ON posts(shared_with_adjacent, neighbourhood_id, id DESC)
            WHERE shared_with_adjacent = 1;
        CREATE INDEX posts_by_author ON posts(author_id);

        -- A resident event is a post of category 'event' with these details.
        CREATE TABLE post_events (
            post_id INTEGER PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
            starts_at INTEGER NOT NULL,
            ends_at INTEGER,
            location TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX post_events_by_start ON post_events(starts_at);

        CREATE TABLE post_photos (
            id INTEGER PRIMARY KEY,
            post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            file_name TEXT NOT NULL,       -- under DATA/uploads/, EXIF stripped
            thumb_name TEXT NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            UNIQUE (post_id, position)
        );

        CREATE TABLE comments (
            id INTEGER PRIMARY KEY,
            post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
            author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
            body TEXT NOT NULL,
            body_html TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'visible'
                CHECK (status IN ('visible', 'hidden', 'deleted')),
            created_at INTEGER NOT NULL,
            edited_at INTEGER
        );
        CREATE INDEX comments_by_post ON comments(post_id, id);
        CREATE INDEX comments_by_author ON comments(author_id);

        CREATE TABLE reactions (
            post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('thanks', 'like', 'support')),
            created_at INTEGER NOT NULL,
            PRIMARY KEY (post_id, user_id, kind)
        ) WITHOUT ROWID;
        CREATE INDEX reactions_by_user ON reactions(user_id);

        -- Deduplicates views without a readable log: the key is a keyed hash of
        -- (post, viewer), so the table cannot say who read what.
        CREATE TABLE post_view_keys (
            post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
            viewer_key BLOB NOT NULL,
            PRIMARY KEY (post_id, viewer_key)
        ) WITHOUT ROWID;

        CREATE TABLE rsvps (
            post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            answer TEXT NOT NULL CHECK (answer IN ('going', 'maybe')),
            created_at INTEGER NOT NULL,
            PRIMARY KEY (post_id, user_id)
        ) WITHOUT ROWID;

        -- Residents offering help, with their skills; `volunteer` = the city may call on them.
        CREATE TABLE helpers (
            user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
            note TEXT NOT NULL DEFAULT '',
            volunteer INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE TABLE helper_skills (
            user_id INTEGER NOT NULL REFERENCES helpers(user_id) ON DELETE CASCADE,
            skill TEXT NOT NULL,
            PRIMARY KEY (user_id, skill)
        ) WITHOUT ROWID;
        CREATE INDEX helper_skills_by_skill ON helper_skills(skill);

        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            sender_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
            recipient_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
            body TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            read_at INTEGER,
            hidden_for_sender INTEGER NOT NULL DEFAULT 0,
            hidden_for_recipient INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX messages_by_recipient ON messages(recipient_id, id);
        CREATE INDEX messages_by_sender ON messages(sender_id, id);

        -- Opt-in neighbour directory: absent row = not listed. Each field has its own switch.
        CREATE TABLE directory_entries (
            user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
            bio TEXT NOT NULL DEFAULT '',
            show_street INTEGER NOT NULL DEFAULT 0,
            show_bio INTEGER NOT NULL DEFAULT 1,
            show_skills INTEGER NOT NULL DEFAULT 0,
            updated_at INTEGER NOT NULL
        );

        CREATE TABLE notifications (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,          -- message, comment, reaction, resolved, report, ...
            actor_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
            post_id INTEGER REFERENCES posts(id) ON DELETE CASCADE,
            message_id INTEGER REFERENCES messages(id) ON DELETE CASCADE,
            created_at INTEGER NOT NULL,
            read_at INTEGER,
            emailed_at INTEGER           -- NULL: not yet sent (immediately or in a digest)
        );
        CREATE INDEX notifications_by_user ON notifications(user_id, id DESC);
        CREATE INDEX notifications_to_email ON notifications(emailed_at, user_id)
            WHERE emailed_at IS NULL;

        CREATE TABLE notification_settings (
            user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
            -- 'immediate': direct messages and replies at once, the rest in a daily digest;
            -- 'digest': everything in the daily digest; 'none': no e-mail at all
            email_mode TEXT NOT NULL DEFAULT 'immediate'
                CHECK (email_mode IN ('immediate', 'digest', 'none')),
            last_digest_at INTEGER
        );

        -- When each resident last opened their feed: posts newer than this are "new".
        CREATE TABLE feed_visits (
            user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
            previous_visit_at INTEGER NOT NULL,
            last_visit_at INTEGER NOT NULL
        );

        CREATE TABLE reports (
            id INTEGER PRIMARY KEY,
            neighbourhood_id INTEGER NOT NULL REFERENCES neighbourhoods(id),
            post_id INTEGER REFERENCES posts(id) ON DELETE CASCADE,
            comment_id INTEGER REFERENCES comments(id) ON DELETE CASCADE,
            reporter_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
            reason TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            resolved_at INTEGER,
            resolved_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
            outcome TEXT CHECK (outcome IN ('hidden', 'kept', 'restored')),
            CHECK ((post_id IS NULL) != (comment_id IS NULL))
        );
        CREATE INDEX reports_open ON reports(neighbourhood_id, created_at)
            WHERE resolved_at IS NULL;

        -- Every moderator action, for accountability; kept when the moderator leaves.
        CREATE TABLE moderation_log (
            id INTEGER PRIMARY KEY,
            neighbourhood_id INTEGER NOT NULL REFERENCES neighbourhoods(id),
            moderator_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
            action TEXT NOT NULL CHECK (action IN
                ('hide_post', 'restore_post', 'hide_comment', 'restore_comment', 'warn',
                 'suspend', 'unsuspend', 'dismiss_report', 'edit_rules')),
            target_user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
            post_id INTEGER REFERENCES posts(id) ON DELETE SET NULL,
            comment_id INTEGER REFERENCES comments(id) ON DELETE SET NULL,
            note TEXT NOT NULL DEFAULT '',
            created_at INTEGER NOT NULL
        );
        CREATE INDEX moderation_log_by_neighbourhood ON moderation_log(neighbourhood_id, id DESC);

        -- Full-text search over visible posts, kept in step by triggers.
        CREATE VIRTUAL TABLE posts_fts USING fts5(
            title, body, content='posts', content_rowid='id',
            tokenize='unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN
            INSERT INTO posts_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
        END;
        CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN
            INSERT INTO posts_fts(posts_fts, rowid, title, body)
                VALUES ('delete', old.id, old.title, old.body);
        END;
        CREATE TRIGGER posts_fts_update AFTER UPDATE OF title, body ON posts BEGIN
            INSERT INTO posts_fts(posts_fts, rowid, title, body)
                VALUES ('delete', old.id, old.title, old.body);
            INSERT INTO posts_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
        END;
        """
    )


@migrations(name="0003_federation")
def _federation(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        -- Actors of other servers, as last fetched (public documents only).
        CREATE TABLE remote_actors (
            uri TEXT PRIMARY KEY,
            host TEXT NOT NULL,
            type TEXT NOT NULL,
            preferred_username TEXT NOT NULL DEFAULT '',
            name TEXT NOT NULL DEFAULT '',
            inbox TEXT NOT NULL,
            shared_inbox TEXT,
            document TEXT NOT NULL,
            fetched_at INTEGER NOT NULL
        );
        CREATE TABLE remote_keys (
            key_id TEXT PRIMARY KEY,
            actor_uri TEXT NOT NULL,
            public_key_pem TEXT NOT NULL,
            fetched_at INTEGER NOT NULL
        );
        CREATE INDEX remote_keys_by_actor ON remote_keys(actor_uri);

        -- What this node thinks of another server: allowed (trusted without approval),
        -- blocked (refused), or nothing yet; and which signature scheme it answers to.
        CREATE TABLE peer_hosts (
            host TEXT PRIMARY KEY,
            policy TEXT NOT NULL DEFAULT 'none' CHECK (policy IN ('none', 'allow', 'block')),
            signature_scheme TEXT CHECK (signature_scheme IN ('cavage', 'rfc9421')),
            note TEXT NOT NULL DEFAULT '',
            updated_at INTEGER NOT NULL
        );

        -- inbound: a remote actor follows one of ours; outbound: one of ours follows a remote.
        CREATE TABLE follows (
            id INTEGER PRIMARY KEY,
            direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
            local_actor TEXT NOT NULL,
            remote_actor TEXT NOT NULL,
            follow_activity TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'accepted', 'rejected')),
            created_at INTEGER NOT NULL,
            decided_at INTEGER,
            UNIQUE (direction, local_actor, remote_actor)
        );
        CREATE INDEX follows_by_local ON follows(local_actor, direction, state);

        -- Activities this node originated: the exact signed document, sent as stored.
        CREATE TABLE activities (
            id INTEGER PRIMARY KEY,
            uri TEXT NOT NULL UNIQUE,
            type TEXT NOT NULL,
            actor TEXT NOT NULL,
            object_uri TEXT,
            document TEXT NOT NULL,
            public INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX activities_by_actor ON activities(actor, public, id DESC);

        -- Objects this node published (announcements, events, surveys...): the only local
        -- objects a remote server may fetch. Resident content never has a row here.
        CREATE TABLE federated_objects (
            uri TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            source TEXT NOT NULL,          -- which kind of city content it came from
            source_id INTEGER NOT NULL,
            document TEXT NOT NULL,
            public INTEGER NOT NULL DEFAULT 0,
            deleted_at INTEGER
        );

        -- The durable delivery queue: one row per (activity, destination inbox).
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            activity_id INTEGER NOT NULL REFERENCES activities(id) ON DELETE CASCADE,
            inbox TEXT NOT NULL,
            host TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'delivered', 'dead')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,
            last_status INTEGER,
            last_error TEXT,
            created_at INTEGER NOT NULL,
            finished_at INTEGER,
            UNIQUE (activity_id, inbox)
        );
        CREATE INDEX deliveries_due ON deliveries(next_attempt_at, id) WHERE state = 'pending';
        CREATE INDEX deliveries_dead ON deliveries(finished_at) WHERE state = 'dead';

        -- Accepted incoming activities, processed after the 202 from this durable queue.
        CREATE TABLE inbox_items (
            id INTEGER PRIMARY KEY,
            activity_uri TEXT NOT NULL UNIQUE,
            actor TEXT NOT NULL,
            type TEXT NOT NULL,
            document TEXT NOT NULL,
            received_at INTEGER NOT NULL,
            processed_at INTEGER,
            error TEXT
        );
        CREATE INDEX inbox_items_pending ON inbox_items(id) WHERE processed_at IS NULL;

        -- City content received (or published locally) for residents to see, per neighbourhood.
        CREATE TABLE city_messages (
            id INTEGER PRIMARY KEY,
            object_uri TEXT NOT NULL UNIQUE,
            actor TEXT NOT NULL,
            actor_name TEXT NOT NULL DEFAULT '',
            kind TEXT NOT NULL DEFAULT 'announcement',
            title TEXT NOT NULL DEFAULT '',
            content_html TEXT NOT NULL DEFAULT '',
            urgent INTEGER NOT NULL DEFAULT 0,
            pinned INTEGER NOT NULL DEFAULT 0,
            expires_at INTEGER,
            published_at INTEGER NOT NULL,
            updated_at INTEGER,
            withdrawn_at INTEGER,
            document TEXT NOT NULL
        );
        CREATE TABLE city_message_targets (
            message_id INTEGER NOT NULL REFERENCES city_messages(id) ON DELETE CASCADE,
            neighbourhood_id INTEGER NOT NULL REFERENCES neighbourhoods(id) ON DELETE CASCADE,
            PRIMARY KEY (neighbourhood_id, message_id)
        ) WITHOUT ROWID;

        -- The city's own announcements (the city node's side).
        CREATE TABLE announcements (
            id INTEGER PRIMARY KEY,
            object_uri TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            body_html TEXT NOT NULL,
            urgent INTEGER NOT NULL DEFAULT 0,
            pinned INTEGER NOT NULL DEFAULT 0,
            expires_at INTEGER,
            all_neighbourhoods INTEGER NOT NULL DEFAULT 0,
            created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER,
            withdrawn_at INTEGER
        );
        -- Targets: local neighbourhood ids, or remote neighbourhood actor URIs.
        CREATE TABLE announcement_targets (
            announcement_id INTEGER NOT NULL REFERENCES announcements(id) ON DELETE CASCADE,
            target TEXT NOT NULL,
            PRIMARY KEY (announcement_id, target)
        ) WITHOUT ROWID;
        """
    )


@migrations(name="0003_posts_calendar_tokens")
def _posts_calendar_tokens(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        -- A resident's secret calendar feed URL (/calendar/<token>.ics): calendar apps send
        -- no cookies. Its own table, not api_tokens: this secret opens one read-only feed,
        -- never the API. One per resident; only the SHA-256 of the token is stored.
        CREATE TABLE calendar_tokens (
            user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
            token_hash TEXT NOT NULL UNIQUE,
            created_at INTEGER NOT NULL
        );

        -- The adjacent-sharing branch of a feed filtered by category: without it, a rare
        -- category would walk every shared post of a neighbouring neighbourhood.
        CREATE INDEX posts_shared_by_category
            ON posts(neighbourhood_id, category, id DESC)
            WHERE shared_with_adjacent = 1 AND status = 'visible';
        """
    )


@migrations(name="0004_node_state")
def _node_state(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        -- Small facts the node remembers about itself, e.g. the fingerprint of the keys it
        -- last announced (a change means the keys were rotated: tell the peers).
        CREATE TABLE node_state (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """
    )


@migrations(name="0005_city_reports")
def _city_reports(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        -- Where each new kind of city object went (local:<neighbourhood id> or a remote
        -- neighbourhood's actor URI), so an Update or Delete reaches the same places.
        CREATE TABLE city_object_targets (
            object_uri TEXT NOT NULL,
            target TEXT NOT NULL,
            PRIMARY KEY (object_uri, target)
        ) WITHOUT ROWID;
        -- Announcements made before this table existed keep their targets.
        INSERT INTO city_object_targets (object_uri, target)
            SELECT a.object_uri, t.target FROM announcement_targets t
            JOIN announcements a ON a.id = t.announcement_id;

        -- The city's side: the latest aggregate each neighbourhood reported about one of the
        -- city's objects (a survey, an event, ...) or, for statistics, about the city itself.
        -- Local neighbourhoods are stored here by the same code, without a network hop.
        CREATE TABLE city_reports (
            subject_uri TEXT NOT NULL,
            kind TEXT NOT NULL,
            neighbourhood_uri TEXT NOT NULL,
            neighbourhood_name TEXT NOT NULL,
            host TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            final INTEGER NOT NULL DEFAULT 0,
            figures TEXT NOT NULL,
            received_at INTEGER NOT NULL,
            PRIMARY KEY (subject_uri, kind, neighbourhood_uri)
        ) WITHOUT ROWID;

        -- The reporting side: what this node last reported, so it sends only changes, and
        -- a final report exactly once.
        CREATE TABLE report_state (
            subject_uri TEXT NOT NULL,
            kind TEXT NOT NULL,
            neighbourhood_id INTEGER NOT NULL REFERENCES neighbourhoods(id) ON DELETE CASCADE,
            report_uri TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            figures_hash TEXT NOT NULL,
            final INTEGER NOT NULL DEFAULT 0,
            sent_at INTEGER NOT NULL,
            PRIMARY KEY (subject_uri, kind, neighbourhood_id)
        ) WITHOUT ROWID;
        """
    )


@migrations(name="0006_surveys")
def _surveys(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        -- The city's surveys (the city node's side). Questions are a JSON list; see
        -- node/models/surveys.py for their shape.
        CREATE TABLE surveys (
            id INTEGER PRIMARY KEY,
            object_uri TEXT NOT NULL UNIQUE,
            public_note_uri TEXT,
            title TEXT NOT NULL,
            intro TEXT NOT NULL DEFAULT '',
            questions TEXT NOT NULL,
            answer_mode TEXT NOT NULL CHECK (answer_mode IN ('resident', 'household')),
            min_cell_size INTEGER NOT NULL,
            opens_at INTEGER NOT NULL,
            closes_at INTEGER NOT NULL,
            closed_at INTEGER,
            created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
            created_at INTEGER NOT NULL,
            withdrawn_at INTEGER
        );

        -- A resident's (or household's) answer, on their home node only. It never leaves:
        -- reports are computed from it. respondent is 'u:<user id>' or 'h:<household id>'.
        CREATE TABLE survey_responses (
            id INTEGER PRIMARY KEY,
            survey_uri TEXT NOT NULL,
            neighbourhood_id INTEGER NOT NULL REFERENCES neighbourhoods(id) ON DELETE CASCADE,
            respondent TEXT NOT NULL,
            household_id INTEGER REFERENCES households(id) ON DELETE SET NULL,
            user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
            answered_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            UNIQUE (survey_uri, respondent)
        );
        CREATE INDEX survey_responses_by_neighbourhood
            ON survey_responses(survey_uri, neighbourhood_id);
        -- One row per chosen option, scale value or text answer.
        CREATE TABLE survey_answers (
            response_id INTEGER NOT NULL REFERENCES survey_responses(id) ON DELETE CASCADE,
            question INTEGER NOT NULL,
            choice INTEGER,
            text TEXT
        );
        CREATE INDEX survey_answers_by_response ON survey_answers(response_id, question);
        """
    )


@migrations(name="0007_city_events")
def _city_events(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        -- Events and co-construction workshops the city organises (city node's side).
        CREATE TABLE city_events (
            id INTEGER PRIMARY KEY,
            object_uri TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            location TEXT NOT NULL DEFAULT '',
            starts_at INTEGER NOT NULL,
            ends_at INTEGER,
            workshop INTEGER NOT NULL DEFAULT 0,
            created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER,
            withdrawn_at INTEGER
        );
        -- A resident's RSVP to a city event, on their home node only; counts leave, names never.
        CREATE TABLE city_event_rsvps (
            event_uri TEXT NOT NULL,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            neighbourhood_id INTEGER NOT NULL REFERENCES neighbourhoods(id) ON DELETE CASCADE,
            answer TEXT NOT NULL CHECK (answer IN ('going', 'maybe')),
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (event_uri, user_id)
        ) WITHOUT ROWID;
        -- Views of city messages, deduplicated per reader by a keyed hash (as post views):
        -- the table can be counted per neighbourhood but names nobody.
        CREATE TABLE city_message_views (
            message_id INTEGER NOT NULL REFERENCES city_messages(id) ON DELETE CASCADE,
            neighbourhood_id INTEGER NOT NULL REFERENCES neighbourhoods(id) ON DELETE CASCADE,
            viewer TEXT NOT NULL,
            PRIMARY KEY (message_id, viewer)
        ) WITHOUT ROWID;
        """
    )


@migrations(name="0008_volunteer_calls")
def _volunteer_calls(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        -- The city's calls for volunteers (city node's side).
        CREATE TABLE volunteer_calls (
            id INTEGER PRIMARY KEY,
            object_uri TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            needed INTEGER,
            ends_at INTEGER,
            created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
            created_at INTEGER NOT NULL,
            withdrawn_at INTEGER
        );
        -- A resident's answer to a call, on their home node. The contact travels to the city
        -- only when share_contact is 1, and only what the volunteer typed here.
        CREATE TABLE volunteer_replies (
            call_uri TEXT NOT NULL,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            neighbourhood_id INTEGER NOT NULL REFERENCES neighbourhoods(id) ON DELETE CASCADE,
            share_contact INTEGER NOT NULL DEFAULT 0,
            contact_name TEXT NOT NULL DEFAULT '',
            contact_details TEXT NOT NULL DEFAULT '',
            message TEXT NOT NULL DEFAULT '',
            answered_at INTEGER NOT NULL,
            PRIMARY KEY (call_uri, user_id)
        ) WITHOUT ROWID;
        -- Which neighbourhoods' volunteers were told of a call, on the node where they live,
        -- so each is told once whether the call was published here or arrived from afar.
        CREATE TABLE volunteer_call_notices (
            message_id INTEGER NOT NULL REFERENCES city_messages(id) ON DELETE CASCADE,
            neighbourhood_id INTEGER NOT NULL REFERENCES neighbourhoods(id) ON DELETE CASCADE,
            notified_at INTEGER NOT NULL,
            PRIMARY KEY (message_id, neighbourhood_id)
        ) WITHOUT ROWID;
        -- A notification about city content (a call for volunteers) leads to its page.
        ALTER TABLE notifications ADD COLUMN
            city_message_id INTEGER REFERENCES city_messages(id) ON DELETE CASCADE;
        """
    )


@migrations(name="0009_initiatives")
def _initiatives(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        -- Citizen initiatives, on the proposer's home node.
        CREATE TABLE initiatives (
            id INTEGER PRIMARY KEY,
            object_uri TEXT NOT NULL UNIQUE,
            neighbourhood_id INTEGER NOT NULL REFERENCES neighbourhoods(id) ON DELETE CASCADE,
            author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            sent_at INTEGER,
            answer_html TEXT,
            answered_at INTEGER,
            withdrawn_at INTEGER
        );
        CREATE TABLE initiative_supports (
            initiative_id INTEGER NOT NULL REFERENCES initiatives(id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (initiative_id, user_id)
        ) WITHOUT ROWID;
        -- The city's side: initiatives that passed the threshold, local or received.
        CREATE TABLE city_initiatives (
            id INTEGER PRIMARY KEY,
            object_uri TEXT NOT NULL UNIQUE,
            neighbourhood_uri TEXT NOT NULL,
            neighbourhood_name TEXT NOT NULL,
            title TEXT NOT NULL,
            body_html TEXT NOT NULL,
            supporters INTEGER NOT NULL,
            received_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            answer TEXT,
            answered_at INTEGER,
            answered_by INTEGER REFERENCES users(id) ON DELETE SET NULL
        );
        """
    )


@migrations(name="0010_participatory_budgets")
def _participatory_budgets(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        -- The city's participatory budgets (city node's side); projects are a JSON list.
        CREATE TABLE budgets (
            id INTEGER PRIMARY KEY,
            object_uri TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            amount INTEGER NOT NULL,
            currency TEXT NOT NULL DEFAULT 'EUR',
            projects TEXT NOT NULL,
            opens_at INTEGER NOT NULL,
            closes_at INTEGER NOT NULL,
            closed_at INTEGER,
            outcome TEXT,
            created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
            created_at INTEGER NOT NULL,
            withdrawn_at INTEGER
        );
        -- A resident's allocation, on their home node: one row per project given money.
        CREATE TABLE budget_allocations (
            budget_uri TEXT NOT NULL,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            neighbourhood_id INTEGER NOT NULL REFERENCES neighbourhoods(id) ON DELETE CASCADE,
            project INTEGER NOT NULL,
            amount INTEGER NOT NULL CHECK (amount >= 0),
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (budget_uri, user_id, project)
        ) WITHOUT ROWID;
        """
    )


@migrations(name="0011_posts_by_month")
def _posts_by_month(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        -- Statistics count a neighbourhood's posts month by month: a range of this index per
        -- month, where posts_feed made each month a walk through every post the neighbourhood
        -- ever had (340 ms at 20,000 posts, 55 ms with it; bench/soak.py found it).
        CREATE INDEX posts_by_month ON posts(neighbourhood_id, status, created_at);
        """
    )


@migrations(name="0012_initiative_answer_notifications")
def _initiative_answer_notifications(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        -- A notification about a citizen initiative (the city answered it) leads to its page.
        ALTER TABLE notifications ADD COLUMN
            initiative_id INTEGER REFERENCES initiatives(id) ON DELETE CASCADE;
        """
    )


@migrations(name="0013_city_messages_by_kind")
def _city_messages_by_kind(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        -- Report sources and the volunteer notifier ask for the live city messages of one
        -- kind after each inbox batch; without these, each asked walked every city message
        -- and every target (15 ms at 40,000 messages, bench/inbox.py; 0.02 ms with them).
        CREATE INDEX city_messages_live_by_kind ON city_messages(kind, id)
            WHERE withdrawn_at IS NULL;
        CREATE INDEX city_message_targets_by_message ON city_message_targets(message_id);
        """
    )


def known_migration_names() -> list[str]:
    return [m.name for m in migrations._migrations]


def apply_migrations(conn: sqlite3.Connection) -> list[str]:
    """Bring the schema up to date; return the names applied. Refuses a newer database."""
    db = sqlite_utils.Database(conn)
    applied = [m.name for m in migrations.applied(db)]
    unknown = [name for name in applied if name not in known_migration_names()]
    if unknown:
        raise DatabaseError(
            f"this database was upgraded by a newer version of Quartier (it has migration "
            f"{unknown[0]!r}, which this version does not know). Install that version again, "
            "or restore a backup taken before the upgrade."
        )
    pending = [m.name for m in migrations.pending(db)]
    migrations.apply(db)
    return pending
