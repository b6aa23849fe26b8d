/*
 * nt_proto.h: the numbers of echover's wire protocol: its version, every
 * frame type, every error code, and the limits a peer's frame is held to.
 * net/PROTOCOL.md documents each frame's fields; this header is the one place
 * the numbers live, so the two are kept side by side.
 *
 * A frame is `u32 length | u16 type | body` (big-endian); length counts the
 * body only. Every frame a client sends is a request whose body opens with a
 * u32 request id; the server's response (or error frame) repeats that id.
 * The first frame each way is version negotiation (HELLO / HELLO_OK).
 */
#ifndef ECHOVER_NT_PROTO_H
#define ECHOVER_NT_PROTO_H

#include <stdint.h>

/* The protocol version this build speaks. HELLO offers a range; the server
 * picks the highest version both sides know. */
#define NT_PROTO_VERSION 1

/* Frame header: u32 body length, u16 type. */
#define NT_FRAME_HDR_LEN 6
/* Default body limit, checked before a byte of the body is allocated
 * (DESIGN.md section 4). Large enough for a KeyPackage batch or a commit of a
 * big group; blobs travel in chunks below it. */
#define NT_FRAME_MAX_DEFAULT (1u << 20)
/* Smallest limit a server may be configured with: a frame must hold any
 * error frame (id, code, text of NT_ERROR_TEXT_MAX). */
#define NT_FRAME_MAX_MIN 1024u

/* Field limits (checked on decode; see PROTOCOL.md). */
#define NT_SOFTWARE_MAX 64      /* HELLO software name */
#define NT_USERNAME_MIN 1
#define NT_USERNAME_MAX 32
#define NT_PASSWORD_MIN 8
#define NT_PASSWORD_MAX 1024
#define NT_INVITE_MAX 64
#define NT_ERROR_TEXT_MAX 256
#define NT_NONCE_LEN 32         /* server login nonce */
#define NT_EXPORTER_LEN 32      /* TLS exporter value bound into login */
#define NT_PIN_LEN 32           /* server key pin: SHA-256 of its SPKI (net/cert.h) */
#define NT_GROUP_ID_MAX 64
#define NT_KP_MAX 4096          /* one serialized KeyPackage */
#define NT_KP_BATCH_MAX 100     /* KeyPackages per upload */
#define NT_ROUTE_MAX 1000       /* added or removed members named per commit */
#define NT_FETCH_MAX 256        /* log entries per fetch response */
#define NT_BLOB_ID_LEN 16       /* random, unguessable: holding the id is the capability to read */
#define NT_HASH_LEN 32          /* SHA-256 */
#define NT_MEMBERS_MAX 10000    /* members listed in one MEMBER_LIST */
#define NT_ONLINE_MAX 1000      /* users listed in one ONLINE */
/* Server limits with their defaults (each has an option of echover server). */
#define NT_MAILBOX_MAX_DEFAULT 10000     /* log entries a group may hold not yet acknowledged by all */
#define NT_BLOB_MAX_DEFAULT (256ull << 20)   /* largest blob: a 100 MiB file plus its chunk tags */
#define NT_BLOB_QUOTA_DEFAULT (1ull << 30)   /* bytes of blobs one user may store */
#define NT_BLOB_TTL_DEFAULT (7 * 24 * 3600)  /* seconds a blob is kept after its creation */
/* DM group ids: "dm-" and 32 hex digits of SHA-256(NT_DM_LABEL | u8 len | lower name |
 * u8 len | higher name) (first 16 bytes); only DM_CREATE makes such a group. */
#define NT_DM_PREFIX "dm-"
#define NT_DM_LABEL "echover dm v1"
#define NT_DM_GID_LEN 35

typedef enum nt_type {
	NT_HELLO = 0x0001,
	NT_HELLO_OK = 0x0002,
	NT_ERROR = 0x0003,
	NT_REGISTER = 0x0010,
	NT_REGISTER_OK = 0x0011,
	NT_LOGIN = 0x0012,
	NT_LOGIN_OK = 0x0013,
	NT_KP_UPLOAD = 0x0020,
	NT_KP_UPLOAD_OK = 0x0021,
	NT_KP_FETCH = 0x0022,
	NT_KP = 0x0023,
	NT_IDENTITY_FETCH = 0x0024,
	NT_IDENTITY = 0x0025,
	NT_GROUP_CREATE = 0x0030,
	NT_GROUP_CREATE_OK = 0x0031,
	NT_POST = 0x0032,
	NT_POST_OK = 0x0033,
	NT_FETCH = 0x0034,
	NT_MESSAGES = 0x0035,
	NT_ACK = 0x0036,
	NT_ACK_OK = 0x0037,
	NT_GROUPS_LIST = 0x0038,
	NT_GROUPS = 0x0039,
	NT_MEMBERS = 0x003A,
	NT_MEMBER_LIST = 0x003B,
	NT_JOIN_REQUEST = 0x003C,
	NT_JOIN_REQUEST_OK = 0x003D,
	NT_ROLE_SET = 0x003E,
	NT_ROLE_SET_OK = 0x003F,
	NT_DM_CREATE = 0x0040,
	NT_DM_CREATE_OK = 0x0041,
	NT_PRESENCE = 0x0042,
	NT_ONLINE = 0x0043,
	NT_NOTIFY = 0x0044,        /* server to client, unsolicited, id 0 */
	NT_BLOB_CREATE = 0x0050,
	NT_BLOB_CREATE_OK = 0x0051,
	NT_BLOB_WRITE = 0x0052,
	NT_BLOB_WRITE_OK = 0x0053,
	NT_BLOB_READ = 0x0054,
	NT_BLOB_DATA = 0x0055,
} nt_type;

typedef enum nt_code {
	NT_E_MALFORMED = 1,   /* a frame or body that does not decode; connection closed */
	NT_E_TOO_LARGE = 2,   /* length above the frame limit; connection closed */
	NT_E_VERSION = 3,     /* no common protocol version; connection closed */
	NT_E_UNEXPECTED = 4,  /* a frame type not allowed in this state */
	NT_E_AUTH = 5,        /* wrong username, password or signature */
	NT_E_EXISTS = 6,      /* username or group id already taken */
	NT_E_NOT_FOUND = 7,   /* no such user, group or KeyPackage */
	NT_E_CONFLICT = 8,    /* commit for an epoch that is not the group's */
	NT_E_INVITE = 9,      /* invite missing, unknown or used */
	NT_E_USERNAME = 10,   /* username breaks the rules */
	NT_E_FORBIDDEN = 11,  /* not a member, or not allowed to do this */
	NT_E_LIMIT = 12,      /* a count, size or quota was exceeded */
	NT_E_INTERNAL = 13,   /* the server failed; nothing was stored */
	NT_E_PASSWORD = 14,   /* password too short or too long */
	NT_E_BUSY = 15,       /* the server is overloaded; retry later */
	NT_E_RATE = 16,       /* too many failed logins for this account or address; retry later */
	NT_E_HASH = 17,       /* blob content does not match its declared SHA-256; the blob is deleted */
} nt_code;

/* Message kinds in a group's log (POST, MESSAGES). */
typedef enum nt_kind {
	NT_KIND_APPLICATION = 0, /* MLS PrivateMessage */
	NT_KIND_COMMIT = 1,      /* MLS PublicMessage carrying a commit; ordered by epoch */
	NT_KIND_PROPOSAL = 2,    /* MLS PublicMessage carrying a proposal */
	NT_KIND_WELCOME = 3,     /* MLS Welcome for members a commit added */
	NT_KIND_JOIN_REQUEST = 4, /* a non-member's KeyPackage asking to be added (JOIN_REQUEST) */
} nt_kind;

/* Roles in a group (GROUPS, MEMBER_LIST, ROLE_SET); the numbers of st_role. */
typedef enum nt_role {
	NT_ROLE_MEMBER = 0,
	NT_ROLE_ADMIN = 1,
	NT_ROLE_OWNER = 2,
} nt_role;

/* Registration policy of a server (HELLO_OK). */
typedef enum nt_policy {
	NT_POLICY_OPEN = 0,
	NT_POLICY_INVITE = 1,
} nt_policy;

const char *nt_code_str(nt_code c);

#endif
