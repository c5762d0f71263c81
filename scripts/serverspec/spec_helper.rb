# Serverspec's side of scripts/bench_serverspec.py: the same facts as the labconform claims it names,
# checked on this machine (the exec backend: no SSH, the commands run here).
require 'serverspec'
require 'json'

set :backend, :exec

# the cluster's admin kubeconfig, as labconform reads it (labconform/kube.py ADMIN_CONF)
ADMIN_CONF = '/etc/kubernetes/admin.conf'.freeze

def kubectl(args)
  command("KUBECONFIG=#{ADMIN_CONF} kubectl #{args}")
end

# the init, as labconform's host facts name it (PID 1's name)
def systemd_init?
  command('cat /proc/1/comm').stdout.strip == 'systemd'
end

# labconform's supervisor for a service where systemd is not the init (labconform/services.py)
def supervisor_alive(name)
  "pid=$(cat /run/labconform/#{name}.supervisor.pid 2>/dev/null) && kill -0 \"$pid\" 2>/dev/null " \
    "&& grep -q supervise /proc/$pid/cmdline"
end

SYSCTL_DIRS = %w[/etc/sysctl.d /run/sysctl.d /usr/local/lib/sysctl.d /usr/lib/sysctl.d /lib/sysctl.d].freeze

# the value `sysctl --system` would set at boot, and the file that sets it: *.conf of the sysctl.d
# folders by name (a name in an earlier folder hides it in a later one), /etc/sysctl.conf last, the
# last assignment wins (labconform/kube_host.py sysctl_at_boot)
def sysctl_at_boot(key)
  listing = command("for d in #{SYSCTL_DIRS.join(' ')}; do ls -1 \"$d\"/*.conf 2>/dev/null; done").stdout
  by_name = {}
  listing.split.each { |path| by_name[File.basename(path)] ||= path }
  files = by_name.keys.sort.map { |n| by_name[n] } + ['/etc/sysctl.conf']
  value = source = nil
  files.each do |path|
    file(path).content.each_line do |line|
      k, sep, v = line.chomp.sub(/\A-+/, '').partition('=')
      next if sep.empty? || line.lstrip.start_with?('#', ';') || k.strip.tr('/', '.') != key

      value = v.strip
      source = path
    end
  end
  [value, source]
end

# the version a Kubernetes tool reports, as labconform reads it (labconform/kube_host.py tool_versions)
def tool_version(cmd)
  r = command(cmd)
  found = r.stdout[/v\d+\.\d+\.\d+\S*/]
  r.exit_status.zero? && found ? found : "no version (exit #{r.exit_status})"
end
