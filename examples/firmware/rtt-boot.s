@ RTT boot-log test firmware for stm32-opts: ARMv7-M integer Thumb code whose SEGGER RTT control
@ block is statically initialised, as with SEGGER's static configuration or `rtt-target`.
@
@ `_SEGGER_RTT` lives in .data: the start-up code copies it from flash, so the ID "SEGGER RTT"
@ also sits, contiguously, in the flash image, and a flash loader that buffers the image in RAM
@ leaves a whole, valid copy of the block there (every offset 0). The block has one up channel,
@ "Terminal" (a 1024-byte ring buffer, blocking mode: the program waits while it is full, so no
@ byte is ever dropped), and one down channel (16 bytes, unused).
@
@ From reset the program writes "line XXXXXXXX\n" (the line number, 8 hex digits) into the up
@ channel, line after line, calling `line_done` after each (it stores the number in `lines`).
@ A debugger that finds the right block at once sees line 0 first; one that attaches to the
@ loader's copy sees nothing.
@ Rebuild with `examples/firmware/build.sh`.

    .syntax unified
    .cpu cortex-m7
    .thumb

    .equ UP_SIZE, 1024
    .equ DOWN_SIZE, 16
    .equ MODE_BLOCK_IF_FULL, 2
    @ Channel descriptor offsets: sName, pBuffer, SizeOfBuffer, WrOff, RdOff, Flags.
    .equ CB_UP0, 24
    .equ CH_WR, 12
    .equ CH_RD, 16

    .section .vectors, "a", %progbits
    .global vector_table
vector_table:
    .word _stack_top
    .word reset_handler
    .rept 14
    .word default_handler
    .endr

    .text
    .thumb_func
    .global reset_handler
    .type reset_handler, %function
reset_handler:
    @ The stack as after a reset, also when a debugger starts here without one (`load`, `jump`).
    ldr r0, =_stack_top
    mov sp, r0
    @ .data from its image in flash, then .bss cleared.
    ldr r0, =_sdata
    ldr r1, =_edata
    ldr r2, =_sidata
copy_data:
    cmp r0, r1
    bhs data_done
    ldr r3, [r2], #4
    str r3, [r0], #4
    b copy_data
data_done:
    ldr r0, =_sbss
    ldr r1, =_ebss
    movs r3, #0
clear_bss:
    cmp r0, r1
    bhs bss_done
    str r3, [r0], #4
    b clear_bss
bss_done:
    movs r4, #0
main_loop:
    bl put_line
    bl line_done
    adds r4, r4, #1
    b main_loop

@ Called after each line with its number in r4.
    .thumb_func
    .global line_done
    .type line_done, %function
line_done:
    ldr r0, =lines
    str r4, [r0]
    bx lr

@ Writes "line XXXXXXXX\n" for the number in r4.
    .thumb_func
    .global put_line
    .type put_line, %function
put_line:
    push {r5, r6, lr}
    ldr r5, =line_prefix
prefix_byte:
    ldrb r0, [r5], #1
    cbz r0, hex_digits
    bl put_byte
    b prefix_byte
hex_digits:
    movs r6, #28
hex_digit:
    lsr r0, r4, r6
    and r0, r0, #0xF
    cmp r0, #10
    blo decimal_digit
    adds r0, r0, #('a' - 10)
    b digit_ready
decimal_digit:
    adds r0, r0, #'0'
digit_ready:
    bl put_byte
    subs r6, r6, #4
    bpl hex_digit
    movs r0, #'\n'
    bl put_byte
    pop {r5, r6, pc}

@ Appends the byte in r0 to the up channel; waits while the ring buffer is full (one slot stays
@ free: WrOff + 1 == RdOff means full). Clobbers r1-r3, r12.
    .thumb_func
    .global put_byte
    .type put_byte, %function
put_byte:
    ldr r1, =_SEGGER_RTT + CB_UP0
wait_for_room:
    ldr r2, [r1, #CH_WR]
    adds r3, r2, #1
    cmp r3, #UP_SIZE
    bne no_wrap
    movs r3, #0
no_wrap:
    ldr r12, [r1, #CH_RD]
    cmp r3, r12
    beq wait_for_room
    ldr r12, =up_buffer
    strb r0, [r12, r2]
    dmb
    str r3, [r1, #CH_WR]
    bx lr

    .thumb_func
    .global default_handler
    .type default_handler, %function
default_handler:
    b default_handler

    .ltorg

channel_name:
    .asciz "Terminal"
line_prefix:
    .asciz "line "
    .align 2

@ The control block, initialised in the image: ID, MaxNumUpBuffers, MaxNumDownBuffers, then the
@ descriptors (name, buffer, size, write offset, read offset, flags).
    .data
    .align 2
    .global _SEGGER_RTT
    .type _SEGGER_RTT, %object
_SEGGER_RTT:
    .ascii "SEGGER RTT"
    .space 6
    .word 1, 1
    .word channel_name, up_buffer, UP_SIZE, 0, 0, MODE_BLOCK_IF_FULL
    .word channel_name, down_buffer, DOWN_SIZE, 0, 0, 0
    .size _SEGGER_RTT, . - _SEGGER_RTT

    .bss
    .align 2
    .global lines
    .type lines, %object
lines:
    .word 0
up_buffer:
    .space UP_SIZE
down_buffer:
    .space DOWN_SIZE
