//! The channel table of an attached control block, as shown by `rtt channels`.

use std::fmt;

use probe_rs::rtt::Rtt;

/// Up (target to host) or down (host to target).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Target to host.
    Up,
    /// Host to target.
    Down,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Direction::Up => "up",
            Direction::Down => "down",
        })
    }
}

/// One channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelInfo {
    /// Up or down.
    pub direction: Direction,
    /// Its number (its index in the control block).
    pub number: usize,
    /// Its name, if the firmware gave one.
    pub name: Option<String>,
    /// The ring buffer's size in bytes (it holds one byte less).
    pub size: usize,
}

/// Every channel of a control block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelTable {
    /// Where the control block is.
    pub address: u64,
    /// Up channels, by number.
    pub up: Vec<ChannelInfo>,
    /// Down channels, by number.
    pub down: Vec<ChannelInfo>,
}

impl ChannelTable {
    /// The table of an attached control block.
    pub fn of(rtt: &mut Rtt) -> ChannelTable {
        let address = rtt.ptr();
        let up = rtt
            .up_channels()
            .iter()
            .map(|c| ChannelInfo {
                direction: Direction::Up,
                number: c.number(),
                name: c.name().map(str::to_string),
                size: c.buffer_size(),
            })
            .collect();
        let down = rtt
            .down_channels()
            .iter()
            .map(|c| ChannelInfo {
                direction: Direction::Down,
                number: c.number(),
                name: c.name().map(str::to_string),
                size: c.buffer_size(),
            })
            .collect();
        ChannelTable { address, up, down }
    }

    /// Whether channel `number` exists in either direction.
    pub fn has(&self, number: usize) -> bool {
        self.up.iter().chain(&self.down).any(|c| c.number == number)
    }

    /// The highest channel number, if any.
    pub fn last_number(&self) -> Option<usize> {
        self.up.iter().chain(&self.down).map(|c| c.number).max()
    }

    /// One line per channel, up channels first: `up   0 "Terminal" 2048 bytes`.
    pub fn lines(&self) -> Vec<String> {
        self.up
            .iter()
            .chain(&self.down)
            .map(|c| {
                let name = c
                    .name
                    .as_deref()
                    .map_or("(no name)".to_string(), |n| format!("\"{n}\""));
                format!("{:<4} {:>2} {name} {} bytes", c.direction, c.number, c.size)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_name_direction_number_name_and_size() {
        let table = ChannelTable {
            address: 0x2002_0000,
            up: vec![ChannelInfo {
                direction: Direction::Up,
                number: 0,
                name: Some("Terminal".into()),
                size: 2048,
            }],
            down: vec![ChannelInfo {
                direction: Direction::Down,
                number: 1,
                name: None,
                size: 16,
            }],
        };
        assert_eq!(
            table.lines(),
            vec![
                "up    0 \"Terminal\" 2048 bytes".to_string(),
                "down  1 (no name) 16 bytes".to_string()
            ]
        );
        assert!(table.has(0) && table.has(1) && !table.has(2));
        assert_eq!(table.last_number(), Some(1));
    }
}
