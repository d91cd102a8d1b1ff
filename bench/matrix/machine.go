package matrix

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/dustin/go-humanize"
	"golang.org/x/sys/unix"
)

// Machine describes where the matrix ran.
type Machine struct {
	CPU      string
	Cores    int
	Memory   uint64 // bytes
	FS       string // file system type of the work directory
	Device   string // the device it is mounted from
	Rotating string // "0" or "1" from the block queue, "" if unknown
	Virtual  bool   // the CPU reports a hypervisor
	Kernel   string
	Go       string
	WorkDir  string
	OnTmpfs  bool // fsync is free there: the figures mean nothing
}

// fsNames names the file-system magic numbers of statfs.
var fsNames = map[int64]string{
	0xEF53: "ext4", 0x01021994: "tmpfs", 0x9123683E: "btrfs", 0x58465342: "xfs",
	0x794c7630: "overlayfs", 0x6969: "nfs", 0x2FC12FC1: "zfs", 0xF2F52010: "f2fs",
}

// Describe reads the machine and the work directory's file system.
func Describe(workDir string) Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version(), WorkDir: workDir}
	if info, err := readKV("/proc/cpuinfo", ":"); err == nil {
		m.CPU = info["model name"]
		m.Virtual = strings.Contains(" "+info["flags"]+" ", " hypervisor ")
	}
	if info, err := readKV("/proc/meminfo", ":"); err == nil {
		var kb uint64
		fmt.Sscanf(info["MemTotal"], "%d", &kb)
		m.Memory = kb << 10
	}
	var st unix.Statfs_t
	if unix.Statfs(workDir, &st) == nil {
		m.FS = fsNames[int64(st.Type)]
		if m.FS == "" {
			m.FS = fmt.Sprintf("fs 0x%x", st.Type)
		}
		m.OnTmpfs = m.FS == "tmpfs"
	}
	m.Device = mountDevice(workDir)
	if dev := strings.TrimPrefix(m.Device, "/dev/"); dev != m.Device {
		if b, err := os.ReadFile(filepath.Join("/sys/class/block", dev, "queue/rotational")); err == nil {
			m.Rotating = strings.TrimSpace(string(b))
		}
	}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		m.Kernel = unix.ByteSliceToString(u.Release[:])
	}
	return m
}

// String is the machine line of the report.
func (m Machine) String() string {
	disk := m.Device
	switch {
	case strings.HasPrefix(m.Device, "/dev/vd"):
		disk += " (virtio disk)"
	case m.Rotating == "1":
		disk += " (rotating)"
	}
	vm := ""
	if m.Virtual {
		vm = ", virtual machine"
	}
	return fmt.Sprintf("%s, %d cores%s, %s RAM; %s on %s; Linux %s; %s",
		m.CPU, m.Cores, vm, humanize.IBytes(m.Memory), m.FS, disk, m.Kernel, m.Go)
}

// readKV reads "key<sep>value" lines, keeping the first value of each key.
func readKV(path, sep string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), sep)
		k = strings.TrimSpace(k)
		if _, seen := out[k]; ok && !seen {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out, sc.Err()
}

// mountDevice returns the device of the longest mount point holding dir.
func mountDevice(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "unknown"
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	best, dev := "", "unknown"
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		mp := fields[1]
		if (abs == mp || strings.HasPrefix(abs, strings.TrimSuffix(mp, "/")+"/")) && len(mp) > len(best) {
			best, dev = mp, fields[0]
		}
	}
	return dev
}
