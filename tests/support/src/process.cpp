// SPDX-License-Identifier: MIT
#include "atelier/test/process.h"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

extern char** environ;  // NOLINT: POSIX

namespace atelier::test {

ProcessEnv isolated_home(const std::filesystem::path& home, const std::filesystem::path& models_dir) {
    ProcessEnv e;
    e.unset = {"ATELIER_MODELS_DIR", "XDG_RUNTIME_DIR"};
    e.set = {{"HOME", home.string()},
             {"XDG_CONFIG_HOME", (home / ".config").string()},
             {"XDG_DATA_HOME", (home / ".local/share").string()},
             {"XDG_STATE_HOME", (home / ".local/state").string()},
             {"XDG_CACHE_HOME", (home / ".cache").string()}};
    if (!models_dir.empty()) e.set.emplace_back("ATELIER_MODELS_DIR", models_dir.string());
    return e;
}

std::string shell_quote(const std::string& text) {
    std::string q = "'";
    for (char c : text) {
        if (c == '\'')
            q += "'\\''";
        else
            q += c;
    }
    return q + "'";
}

ProcessResult run_shell(const std::string& command, const ProcessEnv& env) {
    ProcessResult r;
    // The child's environment: ours, minus `unset` and the names `set` replaces, plus `set`.
    std::vector<std::string> vars;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string kv(*e);
        const std::string name = kv.substr(0, kv.find('='));
        bool drop = std::find(env.unset.begin(), env.unset.end(), name) != env.unset.end();
        for (const auto& kvs : env.set)
            drop = drop || kvs.first == name;
        if (!drop) vars.push_back(kv);
    }
    for (const auto& [k, v] : env.set)
        vars.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& v : vars)
        envp.push_back(v.data());
    envp.push_back(nullptr);
    std::string sh = "sh", dash_c = "-c", cmd = command;
    std::vector<char*> argv{sh.data(), dash_c.data(), cmd.data(), nullptr};
    int out[2], err[2];
    if (::pipe(out) != 0) {
        r.err = std::string("pipe: ") + std::strerror(errno);
        return r;
    }
    if (::pipe(err) != 0) {
        r.err = std::string("pipe: ") + std::strerror(errno);
        ::close(out[0]);
        ::close(out[1]);
        return r;
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
        r.err = std::string("fork: ") + std::strerror(errno);
        for (int fd : {out[0], out[1], err[0], err[1]})
            ::close(fd);
        return r;
    }
    if (pid == 0) {
        // Only async-signal-safe calls between fork and exec (the parent may
        // have other threads): the environment was built before the fork.
        ::dup2(out[1], STDOUT_FILENO);
        ::dup2(err[1], STDERR_FILENO);
        for (int fd : {out[0], out[1], err[0], err[1]})
            ::close(fd);
        ::execve("/bin/sh", argv.data(), envp.data());
        ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    std::array<pollfd, 2> fds{pollfd{out[0], POLLIN, 0}, pollfd{err[0], POLLIN, 0}};
    std::array<std::string*, 2> sinks{&r.out, &r.err};
    int open = 2;
    std::array<char, 65536> buf{};
    while (open > 0) {
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
            const ssize_t n = ::read(fds[i].fd, buf.data(), buf.size());
            if (n > 0) {
                sinks[i]->append(buf.data(), static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open;
            }
        }
    }
    for (const auto& f : fds)
        if (f.fd >= 0) ::close(f.fd);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
    return r;
}

}  // namespace atelier::test
