"""The editors' dashboard: users and the sites they are given, server-side sessions, failed
logins (for lockouts) and the audit log."""

STATEMENTS = (
    # admin: every site, users, settings, audit; editor: read and moderate their sites; viewer: read them.
    """
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT NOT NULL,    -- argon2id, with its parameters and salt
        role TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
        lang TEXT CHECK (lang IN ('vi', 'en')),  -- NULL: the browser's
        created_at INTEGER NOT NULL     -- unix milliseconds
    )
    """,
    """
    CREATE TABLE user_sites (
        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        site TEXT NOT NULL,
        PRIMARY KEY (user_id, site)
    ) WITHOUT ROWID
    """,
    # A session is found by the hash of its cookie's token: the table never holds a usable one.
    """
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    ) WITHOUT ROWID
    """,
    "CREATE INDEX sessions_by_user ON sessions (user_id)",
    # One row per failed login, by account (its e-mail, lower-cased) and by address hash; rows
    # older than the lockout window are pruned when new ones come.
    """
    CREATE TABLE login_failures (
        id INTEGER PRIMARY KEY,
        account TEXT NOT NULL,
        address TEXT NOT NULL,
        at INTEGER NOT NULL
    )
    """,
    "CREATE INDEX login_failures_by_account ON login_failures (account, at)",
    "CREATE INDEX login_failures_by_address ON login_failures (address, at)",
    """
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,            -- the user's e-mail, or 'cli'
        action TEXT NOT NULL,
        site TEXT,
        detail TEXT NOT NULL DEFAULT '{}'  -- JSON
    )
    """,
    "CREATE INDEX audit_log_by_time ON audit_log (at)",
)
