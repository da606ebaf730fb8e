// SPDX-License-Identifier: MIT
#pragma once

/// \file worker_protocol.h
/// Reading the `atelier` worker process's machine-readable output: the
/// `--progress json` event lines on its stderr (see app/cli/cli.h,
/// ProgressEvent) and the `--json` result document on its stdout. The app
/// never parses the CLI's human-readable text.
///
/// Thread safety: plain functions and a value type; use from any thread.

#include <QByteArray>
#include <QJsonObject>
#include <QString>
#include <optional>

#include "atelier/base/result.h"

namespace atelier::ui {

/// One event line.
struct WorkerEvent {
    enum class Kind { progress, error };
    Kind kind = Kind::progress;
    QString stage;  ///< "upscale", "load-model", ...
    QString item;   ///< the file being worked on ("" when none)
    QString model;
    int index = -1;              ///< which item, from 0 (-1: not itemised)
    int count = 0;               ///< how many items
    double fraction = 0;         ///< of this item, 0..1
    Errc code = Errc::internal;  ///< errors: the code the worker reported
    QString message;             ///< errors: what to tell the user
};

/// Parses one line of the event stream; nullopt for anything that is not an
/// event (log output, a blank line, a truncated line).
std::optional<WorkerEvent> parse_worker_event(const QByteArray& line);

/// How far the whole run is, 0..1: (index + fraction) / count for itemised
/// events, the fraction otherwise.
double run_fraction(const WorkerEvent& event);

/// The code named by errc_name (internal for an unknown name).
Errc errc_from_name(const QString& name);

/// Collects complete lines from a byte stream that arrives in pieces.
class LineBuffer {
public:
    /// Appends `bytes`; returns the complete lines now available (without '\n').
    QList<QByteArray> feed(const QByteArray& bytes);
    /// What is left without a final newline (at the end of the stream).
    QByteArray rest() const { return m_buf; }

private:
    QByteArray m_buf;
};

/// The worker's --json result on stdout: the document, or its {"error"} as an Error.
Result<QJsonObject> parse_worker_result(const QByteArray& stdout_bytes);

}  // namespace atelier::ui
