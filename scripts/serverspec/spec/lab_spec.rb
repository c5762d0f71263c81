# The facts of the labconform claims that scripts/bench_serverspec.py runs (CLAIMS there), one describe
# per claim, each checking what that claim's steps check (steps/*.py and the library they call).
require 'spec_helper'

RHEL = %w[redhat fedora amazon].include?(os[:family])
DOCKER_ENGINE = RHEL ? %w[docker-ce docker-ce-cli containerd.io] : %w[docker.io containerd runc iptables]

describe 'docker-01: the Docker engine is installed from the host family\'s packages' do
  DOCKER_ENGINE.each do |pkg|
    describe package(pkg) do
      it { should be_installed }
    end
  end
end

describe 'docker-02: podman and buildah are not installed' do
  %w[podman buildah].each do |pkg|
    describe package(pkg) do
      it { should_not be_installed }
    end
  end
end

describe 'docker-04: the Docker daemon starts with the host and answers' do
  if systemd_init?
    describe service('docker') do
      it { should be_enabled }
      it { should be_running }
    end
    describe command("docker version --format '{{.Server.Version}}'") do
      its(:stdout) { should match(/\d/) }
    end
  else
    # not applicable for labconform: systemd starts nothing here; the service runs under its supervisor
    describe command(supervisor_alive('docker')) do
      its(:exit_status) { should eq 0 }
    end
  end
end

describe 'rocky-09: the host\'s name resolves through DNS or /etc/hosts' do
  describe command("getent ahosts #{command('hostname').stdout.strip}") do
    its(:stdout) { should match(/\S/) }
  end
end

describe 'k8s-prep-01: bridged traffic passes through iptables' do
  %w[net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables].each do |key|
    describe file("/proc/sys/#{key.tr('.', '/')}") do
      its(:content) { should eq "1\n" }
    end
    it "a file of /etc/sysctl.d sets #{key} to 1 at boot" do
      value, source = sysctl_at_boot(key)
      expect(value).to eq '1'
      expect(source.to_s).to start_with '/etc/sysctl.d/'
    end
  end
end

describe 'k8s-prep-02: swap is off now and stays off after a reboot' do
  it 'no swap space is in use' do
    expect(file('/proc/swaps').content.lines.drop(1).reject { |l| l.strip.empty? }).to eq []
  end
  describe file('/etc/fstab') do
    its(:content) { should_not match(/^\s*[^#\s]\S*\s+\S+\s+swap(\s|$)/) }
  end
end

describe 'k8s-prep-04: each control-plane port is served' do
  { 6443 => 'kube-apiserver', 2379 => 'etcd', 2380 => 'etcd', 10_250 => 'kubelet',
    10_259 => 'kube-scheduler', 10_257 => 'kube-controller-manager' }.each do |port, process|
    describe command("ss -Hltnp 'sport = :#{port}'") do
      # the first process of a listener line, by the name the kernel keeps (15 characters)
      its(:stdout) { should match(/\(\("#{Regexp.escape(process[0, 15])}"/) }
    end
  end
end

describe 'k8s-inst-01: kubeadm, kubelet and kubectl are installed at one version' do
  it 'report the same version' do
    versions = ['kubeadm version -o short', 'kubelet --version', 'kubectl version --client --short']
               .map { |c| tool_version(c) }
    expect(versions.uniq.size).to eq 1
    expect(versions.first).to start_with 'v'
  end
end

describe 'k8s-inst-03: Docker and kubelet use the same cgroup driver' do
  it "the running kubelet's cgroup driver is Docker's" do
    node = kubectl("get nodes -o jsonpath='{.items[0].metadata.name}'").stdout.strip
    conf = JSON.parse(kubectl("get --raw /api/v1/nodes/#{node}/proxy/configz").stdout)
    docker = command("docker info --format '{{.CgroupDriver}}'").stdout.strip
    expect(conf.dig('kubeletconfig', 'cgroupDriver')).to eq docker
  end
end

describe 'k8s-init-01: the Kubernetes API server answers' do
  describe kubectl('get --raw /healthz') do
    its(:stdout) { should match(/\Aok\s*\z/) }
  end
  describe kubectl('get --raw /version') do
    its(:stdout) { should match(/"gitVersion": *"v[^"]+"/) }
  end
end

describe 'k8s-init-02: the API server runs as a Docker container' do
  describe command("docker ps --filter name=k8s_kube-apiserver_ --format '{{.Names}}'") do
    its(:stdout) { should match(/\S/) }
  end
end

describe 'k8s-init-05: the only node is both control plane and master' do
  nodes = -> { JSON.parse(kubectl('get nodes -o json').stdout)['items'] }
  it('the cluster has 1 node') { expect(nodes.call.size).to eq 1 }
  it "the node's roles are control-plane,master" do
    roles = nodes.call.map do |n|
      (n.dig('metadata', 'labels') || {}).keys.grep(%r{\Anode-role\.kubernetes\.io/})
                                        .map { |k| k.delete_prefix('node-role.kubernetes.io/') }.sort.join(',')
    end
    expect(roles).not_to be_empty
    expect(roles.uniq).to eq ['control-plane,master']
  end
end

describe 'k8s-net-01: the node is Ready' do
  describe kubectl("get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}'") do
    its(:stdout) { should match(/\A(True\n)+\z/) }
  end
end

describe 'k8s-app-03: hw-deploy has its 2 pods available' do
  describe kubectl("-n default get deployment hw-deploy -o jsonpath='{.spec.replicas} {.status.readyReplicas} " \
                   "{.status.availableReplicas}'") do
    its(:stdout) { should match(/\A2 2 2\s*\z/) }
  end
end

describe 'k8s-svc-01: service hw is a NodePort selecting the app=hw pods on port 8080' do
  it 'is of type NodePort, selects app=hw and serves port 8080' do
    spec = JSON.parse(kubectl('-n default get service hw -o json').stdout)['spec']
    selector = (spec['selector'] || {}).sort.map { |k, v| "#{k}=#{v}" }.join(',')
    expect([spec['type'], selector, spec['ports'].map { |p| p['port'] }]).to eq ['NodePort', 'app=hw', [8080]]
  end
end
