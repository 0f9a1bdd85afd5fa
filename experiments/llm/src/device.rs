//! Device names of the experiment's configs and their candle devices: `cpu`, `cpu:N`, `cuda`,
//! `cuda:N`. `cpu:N` (N > 0) stands in for a second device in CPU tests: candle has one CPU device,
//! so it is the same memory, but the code paths that move tensors between the base's and the
//! agent's devices run as they do on two CUDA cards.

use candle_core::Device;

use crate::{LlmError, Result};

/// A device name in configs: `cpu`, `cpu:N`, `cuda` or `cuda:N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DeviceName {
    /// The CPU; `N` > 0 is a stand-in for a second device in tests (the same memory).
    Cpu(usize),
    /// CUDA device `N`.
    Cuda(usize),
}

impl DeviceName {
    /// Parses `cpu`, `cpu:N`, `cuda`, `cuda:N`.
    ///
    /// # Errors
    /// [`LlmError::InvalidArgument`] naming `key` and the value.
    pub fn parse(key: &'static str, s: &str) -> Result<Self> {
        let bad = || LlmError::invalid(key, s, "cpu, cpu:N, cuda or cuda:N");
        let (kind, ord) = match s.split_once(':') {
            Some((k, n)) => (k, n.parse::<usize>().map_err(|_| bad())?),
            None => (s, 0),
        };
        match kind {
            "cpu" => Ok(DeviceName::Cpu(ord)),
            "cuda" => Ok(DeviceName::Cuda(ord)),
            _ => Err(bad()),
        }
    }

    /// Whether this is a CPU (or a CPU stand-in).
    pub fn is_cpu(self) -> bool {
        matches!(self, DeviceName::Cpu(_))
    }
}

impl std::fmt::Display for DeviceName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeviceName::Cpu(0) => write!(f, "cpu"),
            DeviceName::Cpu(n) => write!(f, "cpu:{n}"),
            DeviceName::Cuda(n) => write!(f, "cuda:{n}"),
        }
    }
}

/// The name of a candle device (`cpu`, `cuda:N`).
pub fn device_name(device: &Device) -> String {
    match device.location() {
        candle_core::DeviceLocation::Cuda { gpu_id } => format!("cuda:{gpu_id}"),
        _ => "cpu".to_string(),
    }
}

/// Opens a device by name (`cpu` and `cpu:N` are the CPU).
///
/// # Errors
/// [`LlmError::InvalidArgument`] for a name that does not parse; [`LlmError::Config`] naming the
/// device when CUDA cannot open it (absent, or a build without `cuda`).
pub fn open_device(key: &'static str, name: &str) -> Result<Device> {
    match DeviceName::parse(key, name)? {
        DeviceName::Cpu(_) => Ok(Device::Cpu),
        DeviceName::Cuda(n) => Device::new_cuda(n).map_err(|e| LlmError::Config {
            path: format!("{key} = {name}"),
            message: format!(
                "device absent or unusable: {} (build with --features cuda on a machine with that GPU)",
                LlmError::from(e)
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_print_and_open() {
        for (s, d) in [
            ("cpu", DeviceName::Cpu(0)),
            ("cpu:1", DeviceName::Cpu(1)),
            ("cuda:0", DeviceName::Cuda(0)),
            ("cuda:3", DeviceName::Cuda(3)),
        ] {
            assert_eq!(DeviceName::parse("k", s).unwrap(), d);
            assert_eq!(d.to_string(), s);
        }
        assert_eq!(DeviceName::parse("k", "cuda").unwrap(), DeviceName::Cuda(0));
        for bad in ["gpu", "cuda:", "cuda:x", "cpu:-1", "", "tpu:0"] {
            let e = DeviceName::parse("agent_device", bad)
                .unwrap_err()
                .to_string();
            assert!(e.starts_with(&format!("agent_device = {bad}:")), "{e}");
        }
        // Both CPU names open the one CPU device.
        assert!(open_device("base_device", "cpu:1").unwrap().is_cpu());
        assert_eq!(device_name(&Device::Cpu), "cpu");
        #[cfg(not(feature = "cuda"))]
        {
            let e = open_device("base_device", "cuda:1")
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("base_device = cuda:1: device absent"), "{e}");
            assert!(!e.contains('\n'));
        }
    }
}
