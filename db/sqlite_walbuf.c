/* db/sqlite_walbuf.c - a SQLite VFS that writes each transaction's WAL
 * frames with one system call.
 *
 * SQLite appends a transaction to the WAL as frames, and writes every frame
 * with two calls: its 24-byte header, then the page. A batch of messages
 * dirties tens of pages, so a commit cost tens of pwrite calls, each
 * touching the kernel's page cache one or two pages at a time. This VFS
 * sits on the default one and, for a connection's WAL file once linked to
 * its database file (sqlite_walbuf_link), gathers the frames a write
 * transaction appends and writes them in one go.
 *
 * When the gathered bytes go to the file:
 *   - once the commit frame's page is written (its header's "database size
 *     after commit" field is set);
 *   - at the latest, before SQLite publishes anything in the WAL index
 *     (xShmBarrier on the database file) and before it lets the write lock
 *     go (xShmLock unlocking, on the database file): whatever the
 *     transaction wrote is in the file while it still holds the lock, as
 *     with the default VFS, so no gathered byte can outlive it (a rolled
 *     back transaction's frames land past the WAL's end, where the next
 *     writer overwrites them);
 *   - before any read, sync, size query, truncation, file control or close
 *     of the WAL, and before a write elsewhere.
 * A write below what the transaction already wrote (SQLite rewriting a
 * frame, or its checksums) flushes and goes to the file at once. Frames
 * still gathered when the process dies belonged to a transaction that had
 * not committed, which SQLite treats exactly as frames never written.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define WALBUF_NAME    "gw-walbuf"
#define WALBUF_MAX     (1 << 20)    /* bytes gathered at most before they are written */
#define WALBUF_PIECE   (124 * 1024) /* bytes per system call */
#define WAL_HDR_SIZE   32           /* the WAL file's own header */
#define FRAME_HDR_SIZE 24           /* each frame's header */

struct wb_file {
    sqlite3_file base;    /* pMethods = &wb_methods once open */
    sqlite3_file *real;   /* the default VFS's file, in the same allocation */
    int wal;              /* a -wal file */
    struct wb_file *peer; /* linked: a WAL file's database file and back; writes are gathered only when linked */
    int commit_next;      /* the last write was a commit frame's header: its page ends the transaction */
    unsigned char *buf;   /* gathered bytes, to go at offset off */
    size_t len, cap;      /* bytes in buf, bytes allocated */
    sqlite3_int64 off;    /* file offset of buf[0] */
    sqlite3_int64 end;    /* past the last byte this write transaction wrote (0: none yet) */
};

static sqlite3_vfs *real_vfs; /* the default VFS at registration */
static sqlite3_vfs wb_vfs;

#define REAL(f) (((struct wb_file *)(f))->real)

/* Writes what is gathered, in pieces the default VFS writes whole (it
 * writes at most 128 KiB less one byte per call). Returns a SQLite result
 * code. */
static int wb_flush(struct wb_file *f)
{
    int rc = SQLITE_OK;
    for (size_t done = 0; rc == SQLITE_OK && done < f->len; done += WALBUF_PIECE) {
        size_t n = f->len - done < WALBUF_PIECE ? f->len - done : WALBUF_PIECE;
        rc = f->real->pMethods->xWrite(f->real, f->buf + done, (int)n, f->off + (sqlite3_int64)done);
    }
    f->len = 0;
    return rc;
}

/* Whether a write is a frame header whose "database size after commit"
 * field is set: the header of the frame that commits a transaction. */
static int commit_header(const void *p, int amt, sqlite3_int64 ofst)
{
    const unsigned char *b = p;
    return amt == FRAME_HDR_SIZE && ofst >= WAL_HDR_SIZE && (b[4] | b[5] | b[6] | b[7]) != 0;
}

static int wb_write(sqlite3_file *file, const void *p, int amt, sqlite3_int64 ofst)
{
    struct wb_file *f = (struct wb_file *)file;
    if (!f->wal || !f->peer) return f->real->pMethods->xWrite(f->real, p, amt, ofst);
    int rc = SQLITE_OK;
    size_t n = (size_t)amt;
    sqlite3_int64 end = f->end;
    if (ofst + amt > f->end) f->end = ofst + amt;
    if (ofst < end) {
        /* A rewrite of what this transaction wrote: straight to the file. */
        if (f->len && ofst >= f->off && ofst + amt <= f->off + (sqlite3_int64)f->len) {
            memcpy(f->buf + (ofst - f->off), p, n);
            return SQLITE_OK;
        }
        rc = wb_flush(f);
        return rc != SQLITE_OK ? rc : f->real->pMethods->xWrite(f->real, p, amt, ofst);
    }
    if (f->len && (ofst != f->off + (sqlite3_int64)f->len || f->len + n > WALBUF_MAX)) rc = wb_flush(f);
    if (rc != SQLITE_OK) return rc;
    if (n > WALBUF_MAX) return f->real->pMethods->xWrite(f->real, p, amt, ofst);
    if (f->len + n > f->cap) {
        size_t cap = f->cap ? f->cap : 64 * 1024;
        while (cap < f->len + n) cap *= 2;
        unsigned char *nb = realloc(f->buf, cap);
        if (!nb) {
            rc = wb_flush(f);
            return rc != SQLITE_OK ? rc : f->real->pMethods->xWrite(f->real, p, amt, ofst);
        }
        f->buf = nb;
        f->cap = cap;
    }
    if (!f->len) f->off = ofst;
    memcpy(f->buf + f->len, p, n);
    f->len += n;
    if (commit_header(p, amt, ofst)) {
        f->commit_next = 1;
    } else if (f->commit_next) {
        f->commit_next = 0;
        rc = wb_flush(f);
    }
    return rc;
}

/* On a database file: writes out what its WAL gathered (the transaction's
 * frames must be in the file before SQLite publishes or unlocks). A new
 * write transaction starts after an unlock. */
static int peer_flush(sqlite3_file *file, int unlock)
{
    struct wb_file *db = (struct wb_file *)file;
    if (db->wal || !db->peer) return SQLITE_OK;
    int rc = wb_flush(db->peer);
    if (unlock) {
        db->peer->end = 0;
        db->peer->commit_next = 0;
    }
    return rc;
}

static int wb_close(sqlite3_file *file)
{
    struct wb_file *f = (struct wb_file *)file;
    int rc = wb_flush(f);
    if (f->peer) f->peer->peer = NULL;
    f->peer = NULL;
    int crc = f->real->pMethods->xClose(f->real);
    free(f->buf);
    f->buf = NULL;
    f->cap = 0;
    return rc != SQLITE_OK ? rc : crc;
}

static int wb_read(sqlite3_file *file, void *p, int amt, sqlite3_int64 ofst)
{
    int rc = wb_flush((struct wb_file *)file);
    return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xRead(REAL(file), p, amt, ofst);
}

static int wb_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    int rc = wb_flush((struct wb_file *)file);
    return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xTruncate(REAL(file), size);
}

static int wb_sync(sqlite3_file *file, int flags)
{
    int rc = wb_flush((struct wb_file *)file);
    return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xSync(REAL(file), flags);
}

static int wb_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
    int rc = wb_flush((struct wb_file *)file);
    return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xFileSize(REAL(file), size);
}

static int wb_file_control(sqlite3_file *file, int op, void *arg)
{
    int rc = wb_flush((struct wb_file *)file);
    return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xFileControl(REAL(file), op, arg);
}

static int wb_lock(sqlite3_file *file, int lock) { return REAL(file)->pMethods->xLock(REAL(file), lock); }
static int wb_unlock(sqlite3_file *file, int lock) { return REAL(file)->pMethods->xUnlock(REAL(file), lock); }
static int wb_check_reserved(sqlite3_file *file, int *out)
{
    return REAL(file)->pMethods->xCheckReservedLock(REAL(file), out);
}
static int wb_sector_size(sqlite3_file *file) { return REAL(file)->pMethods->xSectorSize(REAL(file)); }
static int wb_device_chars(sqlite3_file *file) { return REAL(file)->pMethods->xDeviceCharacteristics(REAL(file)); }
static int wb_shm_map(sqlite3_file *file, int pg, int pgsz, int extend, void volatile **pp)
{
    return REAL(file)->pMethods->xShmMap(REAL(file), pg, pgsz, extend, pp);
}
static int wb_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
    if (flags & SQLITE_SHM_UNLOCK) {
        int rc = peer_flush(file, 1);
        if (rc != SQLITE_OK) return rc;
    }
    return REAL(file)->pMethods->xShmLock(REAL(file), offset, n, flags);
}
static void wb_shm_barrier(sqlite3_file *file)
{
    /* Publication cannot fail here: a write that fails is caught at the
     * commit frame (flushed when its page is written) or at the sync. */
    peer_flush(file, 0);
    REAL(file)->pMethods->xShmBarrier(REAL(file));
}
static int wb_shm_unmap(sqlite3_file *file, int del) { return REAL(file)->pMethods->xShmUnmap(REAL(file), del); }
static int wb_fetch(sqlite3_file *file, sqlite3_int64 ofst, int amt, void **pp)
{
    int rc = wb_flush((struct wb_file *)file);
    return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xFetch(REAL(file), ofst, amt, pp);
}
static int wb_unfetch(sqlite3_file *file, sqlite3_int64 ofst, void *p)
{
    return REAL(file)->pMethods->xUnfetch(REAL(file), ofst, p);
}

static const sqlite3_io_methods wb_methods = {
    .iVersion = 3,
    .xClose = wb_close,
    .xRead = wb_read,
    .xWrite = wb_write,
    .xTruncate = wb_truncate,
    .xSync = wb_sync,
    .xFileSize = wb_file_size,
    .xLock = wb_lock,
    .xUnlock = wb_unlock,
    .xCheckReservedLock = wb_check_reserved,
    .xFileControl = wb_file_control,
    .xSectorSize = wb_sector_size,
    .xDeviceCharacteristics = wb_device_chars,
    .xShmMap = wb_shm_map,
    .xShmLock = wb_shm_lock,
    .xShmBarrier = wb_shm_barrier,
    .xShmUnmap = wb_shm_unmap,
    .xFetch = wb_fetch,
    .xUnfetch = wb_unfetch,
};

#define WB_REAL_OFFSET ((sizeof(struct wb_file) + 7) & ~(size_t)7)

static int wb_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
    struct wb_file *f = (struct wb_file *)file;
    memset(f, 0, sizeof *f);
    f->real = (sqlite3_file *)((char *)f + WB_REAL_OFFSET);
    int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        /* SQLite closes a file whose open failed only if it has methods;
         * the default VFS's own close already ran. */
        if (f->real->pMethods) f->real->pMethods->xClose(f->real);
        f->base.pMethods = NULL;
        return rc;
    }
    /* The default VFS gives every file version 3 methods (shared memory,
     * mapping), which these methods forward; a file with fewer cannot be
     * forwarded, so it is refused. */
    if (f->real->pMethods->iVersion < 3) {
        f->real->pMethods->xClose(f->real);
        f->base.pMethods = NULL;
        return SQLITE_CANTOPEN;
    }
    f->wal = (flags & SQLITE_OPEN_WAL) != 0;
    f->base.pMethods = &wb_methods;
    return SQLITE_OK;
}

static int wb_delete(sqlite3_vfs *vfs, const char *name, int sync) { return real_vfs->xDelete(real_vfs, name, sync); }
static int wb_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    return real_vfs->xAccess(real_vfs, name, flags, out);
}
static int wb_full_path(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    return real_vfs->xFullPathname(real_vfs, name, n, out);
}
static void *wb_dl_open(sqlite3_vfs *vfs, const char *name) { return real_vfs->xDlOpen(real_vfs, name); }
static void wb_dl_error(sqlite3_vfs *vfs, int n, char *msg) { real_vfs->xDlError(real_vfs, n, msg); }
static void (*wb_dl_sym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
    return real_vfs->xDlSym(real_vfs, h, sym);
}
static void wb_dl_close(sqlite3_vfs *vfs, void *h) { real_vfs->xDlClose(real_vfs, h); }
static int wb_randomness(sqlite3_vfs *vfs, int n, char *out) { return real_vfs->xRandomness(real_vfs, n, out); }
static int wb_sleep(sqlite3_vfs *vfs, int us) { return real_vfs->xSleep(real_vfs, us); }
static int wb_current_time(sqlite3_vfs *vfs, double *out) { return real_vfs->xCurrentTime(real_vfs, out); }
static int wb_last_error(sqlite3_vfs *vfs, int n, char *out) { return real_vfs->xGetLastError(real_vfs, n, out); }
static int wb_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static int registered = SQLITE_ERROR;

static void wb_register(void)
{
    /* Before SQLite initialises (sqlite3_vfs_find does): without memory
     * statistics, no allocation takes a process-wide mutex. Refused, and
     * harmless, when the library was initialised already. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    real_vfs = sqlite3_vfs_find(NULL);
    if (!real_vfs || real_vfs->iVersion < 2) return;
    wb_vfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int)(WB_REAL_OFFSET + (size_t)real_vfs->szOsFile),
        .mxPathname = real_vfs->mxPathname,
        .zName = WALBUF_NAME,
        .xOpen = wb_open,
        .xDelete = wb_delete,
        .xAccess = wb_access,
        .xFullPathname = wb_full_path,
        .xDlOpen = wb_dl_open,
        .xDlError = wb_dl_error,
        .xDlSym = wb_dl_sym,
        .xDlClose = wb_dl_close,
        .xRandomness = wb_randomness,
        .xSleep = wb_sleep,
        .xCurrentTime = wb_current_time,
        .xGetLastError = wb_last_error,
        .xCurrentTimeInt64 = wb_current_time64,
    };
    registered = sqlite3_vfs_register(&wb_vfs, 0);
}

int sqlite_walbuf_link(sqlite3 *db)
{
    sqlite3_file *main_file = NULL, *wal_file = NULL;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &main_file) != SQLITE_OK ||
        sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal_file) != SQLITE_OK || !main_file ||
        !wal_file || main_file->pMethods != &wb_methods || wal_file->pMethods != &wb_methods)
        return -1;
    struct wb_file *m = (struct wb_file *)main_file, *w = (struct wb_file *)wal_file;
    if (!w->wal || m->wal) return -1;
    m->peer = w;
    w->peer = m;
    return 0;
}

const char *sqlite_walbuf_vfs(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, wb_register);
    return registered == SQLITE_OK ? WALBUF_NAME : NULL;
}
