// SPDX-License-Identifier: MIT
#pragma once

/// \file library_model.h
/// The Library screen's model over `atelier::catalog::Library`: one row per
/// asset matching the current query, loaded a page at a time as the grid
/// scrolls (`canFetchMore`/`fetchMore`, so a 100,000-asset library costs one
/// page up front), plus facet counts, collections, selection, the asset
/// shown on the Asset screen, imports with their report, and undo for
/// collection edits.
///
/// Every database call runs on a worker thread with its own connection
/// (reads: one connection on a one-thread pool, so results arrive in order;
/// thumbnails: another; imports: a connection per job on the job queue), and
/// results are posted back; stale results (from an older query) are dropped.
///
/// Thread safety: GUI thread only.

#include <QtQml/qqmlregistration.h>
#include <QAbstractListModel>
#include <QSet>
#include <QThreadPool>
#include <QTimer>
#include <QVariantList>
#include <QVariantMap>
#include <memory>

namespace atelier::catalog {
class Library;
}

namespace atelier::ui {

class LibraryModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(bool ready READ ready NOTIFY readyChanged)
    Q_PROPERTY(QString openError READ openError NOTIFY readyChanged)
    Q_PROPERTY(QString libraryDir READ libraryDir NOTIFY readyChanged)
    Q_PROPERTY(QString query READ query WRITE setQuery NOTIFY queryChanged)
    Q_PROPERTY(QString sort READ sort WRITE setSort NOTIFY queryChanged)
    Q_PROPERTY(QString queryError READ queryError NOTIFY resultsChanged)
    Q_PROPERTY(bool loading READ loading NOTIFY resultsChanged)
    /// Assets matching the query (-1 while unknown).
    Q_PROPERTY(qint64 total READ total NOTIFY resultsChanged)
    /// Assets in the whole library.
    Q_PROPERTY(qint64 libraryCount READ libraryCount NOTIFY resultsChanged)
    /// [{name, values: [{value, count, term, active}]}]
    Q_PROPERTY(QVariantList facets READ facets NOTIFY facetsChanged)
    /// [{name, count, term, active}]
    Q_PROPERTY(QVariantList collections READ collections NOTIFY facetsChanged)
    Q_PROPERTY(int selectionCount READ selectionCount NOTIFY selectionChanged)
    Q_PROPERTY(QVariantMap currentAsset READ currentAsset NOTIFY currentAssetChanged)
    Q_PROPERTY(bool importing READ importing NOTIFY importChanged)
    /// The running import: how far (0..1) and which file.
    Q_PROPERTY(double importProgress READ importProgress NOTIFY importChanged)
    Q_PROPERTY(QString importMessage READ importMessage NOTIFY importChanged)
    /// {added, duplicates, skipped, failed, cancelled, stopped, problems: [{path, status, reason}]}
    Q_PROPERTY(QVariantMap lastImport READ lastImport NOTIFY importChanged)
    /// The last export: {ok, running, message, folder, files: [path], unsigned: n}.
    Q_PROPERTY(QVariantMap lastExport READ lastExport NOTIFY exportChanged)
    Q_PROPERTY(bool canUndo READ canUndo NOTIFY undoChanged)
    Q_PROPERTY(QString undoText READ undoText NOTIFY undoChanged)
    Q_PROPERTY(int deleteUndoMs READ deleteUndoMs WRITE setDeleteUndoMs NOTIFY undoChanged)
    Q_PROPERTY(int pendingDeleteCount READ pendingDeleteCount NOTIFY undoChanged)
    /// A one-line message for the user (a refused action, an undo).
    Q_PROPERTY(QString notice READ notice NOTIFY noticeChanged)
    /// The collection the query shows ("" outside a collection): Delete
    /// there removes from the collection (undoable), elsewhere from the library.
    Q_PROPERTY(QString viewingCollection READ activeCollection NOTIFY queryChanged)

public:
    enum Role {
        AssetIdRole = Qt::UserRole + 1,
        HashRole,
        TitleRole,
        PathRole,
        WidthRole,
        HeightRole,
        FormatRole,
        RatingRole,
        CreatedRole,
        TagsRole,
        ThumbnailRole,
        SelectedRole,
    };

    /// Opens the library in `dir` (empty: from the config).
    explicit LibraryModel(QObject* parent = nullptr);
    ~LibraryModel() override;

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;
    bool canFetchMore(const QModelIndex& parent) const override;
    void fetchMore(const QModelIndex& parent) override;

    bool ready() const { return m_lib != nullptr; }
    QString openError() const { return m_openError; }
    QString libraryDir() const { return m_dir; }
    QString query() const { return m_query; }
    void setQuery(const QString& q);
    QString sort() const { return m_sort; }
    void setSort(const QString& s);
    QString queryError() const { return m_queryError; }
    bool loading() const { return m_loading; }
    qint64 total() const { return m_total; }
    qint64 libraryCount() const { return m_libraryCount; }
    QVariantList facets() const { return m_facets; }
    QVariantList collections() const { return m_collections; }
    int selectionCount() const { return static_cast<int>(m_selected.size()); }
    QVariantMap currentAsset() const { return m_current; }
    bool importing() const { return m_importJobs > 0; }
    QVariantMap lastImport() const { return m_lastImport; }
    double importProgress() const { return m_importProgress; }
    QString importMessage() const { return m_importMessage; }
    QVariantMap lastExport() const { return m_lastExport; }
    bool canUndo() const { return !m_undo.isEmpty(); }
    QString undoText() const;
    QString notice() const { return m_notice; }

    /// Adds or removes a `key:value` term in the query (facet clicks).
    Q_INVOKABLE void toggleTerm(const QString& term);
    Q_INVOKABLE bool hasTerm(const QString& term) const;
    Q_INVOKABLE void refresh();

    /// mode: "single", "toggle" (Ctrl), "range" (Shift), "extend" (Ctrl+Shift).
    Q_INVOKABLE void select(int row, const QString& mode = QStringLiteral("single"));
    Q_INVOKABLE void selectAll();
    Q_INVOKABLE void clearSelection();
    Q_INVOKABLE QVariantList selectedIds() const;
    Q_INVOKABLE QVariantList selectedTitles() const;
    Q_INVOKABLE qint64 idAt(int row) const;
    Q_INVOKABLE int rowOfId(qint64 id) const;

    /// Loads one asset's details into `currentAsset` (off the GUI thread).
    Q_INVOKABLE void openAsset(qint64 id);

    /// Imports files and folders (file:// URLs or paths) as a job.
    Q_INVOKABLE qint64 importUrls(const QVariantList& urls);
    Q_INVOKABLE void dismissImportReport();

    /// Exports copies of assets to `folder` (a file:// URL or a path;
    /// created if missing) as an "export" job: each copy is signed with
    /// Content Credentials as `atelier export` does (the library's copy as
    /// ingredient, c2pa.published, licence) and logged in the provenance
    /// log. A format that cannot carry credentials is exported unsigned
    /// (counted in lastExport.unsigned); any other failure stops the job
    /// with the reason (the job row and lastExport.message). Returns the
    /// job id (0 when nothing to export).
    Q_INVOKABLE qint64 exportAssets(const QVariantList& ids, const QString& folder);
    /// exportAssets for the selection.
    Q_INVOKABLE qint64 exportSelection(const QString& folder);

    Q_INVOKABLE void addSelectionToCollection(const QString& name);
    /// Delete: removes the selection from the collection being viewed.
    Q_INVOKABLE void removeSelection();
    Q_INVOKABLE void undo();
    /// Deletes the selected assets from the library: they leave the grid at
    /// once, and `catalog::Library::remove` (rows, tags, collection links, the
    /// library's copies of their files; off the GUI thread) runs when the
    /// undo window (`deleteUndoMs`) closes, at the next delete, or when the
    /// app quits. Until then `undo()` brings them back untouched. A crash in
    /// the window deletes nothing.
    Q_INVOKABLE void deleteSelection();
    /// Carries out a pending delete now (no undo after it).
    Q_INVOKABLE void commitPendingDelete();
    /// How long a delete can be undone (ms; 30 s by default).
    int deleteUndoMs() const { return m_deleteUndoMs; }
    void setDeleteUndoMs(int ms);
    /// Assets deleted in the grid and not yet in the catalog.
    int pendingDeleteCount() const { return static_cast<int>(m_pendingDelete.size()); }
    Q_INVOKABLE void setRating(qint64 id, int rating);

    /// The catalog connection for other view models (null until ready).
    std::shared_ptr<catalog::Library> library() const { return m_lib; }
    /// The model behind the Library screen, once created (for the upscale screen).
    static LibraryModel* current();

Q_SIGNALS:
    void readyChanged();
    void queryChanged();
    void resultsChanged();
    void facetsChanged();
    void selectionChanged();
    void currentAssetChanged();
    void importChanged();
    void exportChanged();
    void undoChanged();
    void noticeChanged();
    /// An import finished (any outcome); `report` as in lastImport.
    void importFinished(const QVariantMap& report);
    /// Assets were removed from the library (by deleteSelection).
    void assetsDeleted(const QVariantList& ids);

private:
    struct Row {
        qint64 id = 0;
        QString hash, title, path, format, tags;
        int width = 0, height = 0, rating = 0;
        qint64 created = 0;
    };
    struct UndoStep {
        QString text;
        QString collection;
        QList<qint64> ids;
        bool wasRemove = true;
        bool isDelete = false;  ///< the pending delete (m_pendingDelete)
    };
    void open();
    void runSearch();
    void loadFacets();
    void fetchPage(const QString& cursor, quint64 generation);
    QString effectiveQuery() const;

public:
    QString activeCollection() const;

private:
    void setNotice(const QString& n);
    void editCollection(const QString& name, const QList<qint64>& ids, bool remove, bool recordUndo);

    std::shared_ptr<catalog::Library> m_lib;
    std::shared_ptr<catalog::Library> m_thumbLib;
    QThreadPool m_pool;  // one thread: reads arrive in order
    QString m_dir;
    QString m_openError;
    QString m_query;
    QString m_sort = QStringLiteral("newest");
    QString m_queryError;
    bool m_loading = false;
    bool m_fetching = false;
    qint64 m_total = -1;
    qint64 m_libraryCount = 0;
    quint64 m_generation = 0;
    QString m_nextCursor;
    QList<Row> m_rows;
    QVariantList m_facets;
    QVariantList m_collections;
    QSet<qint64> m_selected;
    int m_anchor = -1;
    QVariantMap m_current;
    int m_importJobs = 0;
    QVariantMap m_lastImport;
    QVariantMap m_lastExport;
    double m_importProgress = 0;
    QString m_importMessage;
    QList<UndoStep> m_undo;
    QList<qint64> m_pendingDelete;  // in grid order
    QSet<qint64> m_deleting;        // handed to the pool, not yet confirmed
    QTimer m_deleteTimer;
    int m_deleteUndoMs = 30000;
    QString m_notice;
    QTimer m_searchTimer;
};

}  // namespace atelier::ui
